import Foundation
import GlacierTestSupport
import Testing

/// The holes issue 12 found in the integrity promise, each tried on a real mount.
@Suite(.serialized) struct IntegrityTests {
    static let mib = VaultFixture.mib

    /// Reads `path` the ways a reader can that do not go through a plain sequential read: a small
    /// pread, a jump to a far small pread (the block-read path), an mmap, and a readahead-sized
    /// dd. Prints one line per way: `ok` or the error.
    static let readEveryWay = """
        import mmap, os, subprocess, sys
        path = sys.argv[1]
        def attempt(name, f):
            try:
                f()
                print(name, "ok")
            except OSError as e:
                print(name, "error", e.errno)
        fd = os.open(path, os.O_RDONLY)
        attempt("pread", lambda: os.pread(fd, 4096, 100000))
        attempt("jump", lambda: os.pread(fd, 4096, 2 * 1048576 + 8192))
        # A refused page faults with SIGBUS, so the mapping is tried in a child process.
        mapped = subprocess.run([sys.executable, "-c",
            "import mmap,sys; f=open(sys.argv[1],'rb'); m=mmap.mmap(f.fileno(),0,prot=mmap.PROT_READ); m[1048581]",
            path], capture_output=True)
        print("mmap", "ok" if mapped.returncode == 0 else "error " + str(mapped.returncode))
        dd = subprocess.run(["dd", "if=" + path, "of=/dev/null", "bs=128k", "count=8", "skip=3"], capture_output=True)
        print("dd", "ok" if dd.returncode == 0 else "error " + dd.stderr.decode().strip().replace("\\n", " "))
        """

    @Test func anUnverifiedCacheEntryIsRefusedOnEveryReadPathWithoutTheFlag() async throws {
        try await VaultFixture.with { (f: VaultFixture) async throws in
            // Cached once by a mount that accepted it unverified.
            try await f.mount(extraArguments: ["--allow-unverified"]) { (m: MountedFileSystem) async throws in
                let output = m.path(f.jobPath(f.unalignedRangeJob))
                #expect(try Data(contentsOf: URL(fileURLWithPath: output)).count == 3 * Self.mib)
                #expect(try await VerificationTests.xattr("user.glacier.verified", output).hasPrefix("unverified"))
            }
            let glacierfs = TestPaths.binary("glacierfs")
            let status = try await Command.run(glacierfs, ["cache", "status", "--cache-dir", f.cacheDirectory])
            #expect(status.output.contains("unverified"), "cache status labels the entry: \(status.output)")
            #expect(
                !status.output.contains("(inventory)") && !status.output.contains("3 of 3 leaves\n"),
                "and does not call it an inventory or verified leaves: \(status.output)")

            let fetchesBefore = try await f.requests("GetJobOutput")
            try await f.mount { (m: MountedFileSystem) async throws in
                let output = m.path(f.jobPath(f.unalignedRangeJob))
                let r = try await Command.run("/usr/bin/env", ["python3", "-c", Self.readEveryWay, output])
                for way in ["pread", "jump", "mmap", "dd"] {
                    let line = r.output.split(separator: "\n").first { $0.hasPrefix(way + " ") } ?? "missing"
                    #expect(line.contains("error"), "\(way) is refused without --allow-unverified: \(r.output)")
                }
                #expect(try await VerificationTests.xattr("user.glacier.verified", output).hasPrefix("refused"))
            }
            #expect(try await f.requests("GetJobOutput") == fetchesBefore, "nothing was fetched either")

            let verify = try await Command.run(glacierfs, ["cache", "verify", "--cache-dir", f.cacheDirectory])
            #expect(verify.output.contains("UNVERIFIED: size checks only"), "cache verify labels it: \(verify.output)")
        }
    }

    @Test func aRootMismatchFailsTheReadDropsTheCacheAndRefusesLaterOpens() async throws {
        try await VaultFixture.with { (f: VaultFixture) async throws in
            let wrong = String(repeating: "ab", count: 32)
            try await f.emulator.overrideJob(vault: "v", jobId: f.binaryJob, json: "{\"SHA256TreeHash\":\"\(wrong)\"}")
            let size = try Data(contentsOf: f.binary).count
            try await f.mount { (m: MountedFileSystem) async throws in
                let output = m.path(f.jobPath(f.binaryJob))
                let copy = f.directory.appendingPathComponent("copy").path
                let r = try await Command.run("/bin/cp", [output, copy], timeout: 120)
                #expect(r.status != 0 && r.output.contains("Input/output error"), "cp fails: \(r.output)")
                let written = (try? Data(contentsOf: URL(fileURLWithPath: copy))) ?? Data()
                #expect(written.count < size, "no complete copy of an output whose root does not match")
                let verified = try await VerificationTests.xattr("user.glacier.verified", output)
                #expect(verified.contains("root mismatch"), "\(verified)")
                let job = try String(contentsOfFile: m.path(f.jobPath(f.binaryJob, "job.json")), encoding: .utf8)
                #expect(job.contains("root mismatch"), "\(job)")
                let again = try await Command.shell("cat '\(output)' > /dev/null")
                #expect(again.status != 0 && again.output.contains("Input/output error"), "a later open is refused")
                let log = try String(contentsOfFile: m.cacheDirectory + "/glacierfs.log", encoding: .utf8)
                #expect(log.contains("does not match the job's SHA256TreeHash"))
            }
            // The cache holds nothing of it, and a remount refuses it without fetching.
            let status = try await Command.run(
                TestPaths.binary("glacierfs"),
                [
                    "cache", "status", "--json",
                    "--cache-dir", f.cacheDirectory,
                ])
            let usage = try JSONSerialization.jsonObject(with: Data(status.output.utf8)) as? [String: Any]
            let outputs = usage?["outputs"] as? [[String: Any]] ?? []
            let entry = outputs.first { (($0["key"] as? [String: Any])?["jobId"] as? String) == f.binaryJob }
            #expect(entry?["cachedBytes"] as? Int == 0, "the output's cache is dropped: \(status.output)")
            let fetchesBefore = try await f.requests("GetJobOutput")
            try await f.mount { (m: MountedFileSystem) async throws in
                let r = try await Command.shell("cat '\(m.path(f.jobPath(f.binaryJob)))' > /dev/null")
                #expect(r.status != 0 && r.output.contains("Input/output error"), "refused after a remount")
            }
            #expect(try await f.requests("GetJobOutput") == fetchesBefore)
        }
    }

    @Test func cacheVerifyDropsAnOutputWhoseRootDoesNotMatch() async throws {
        try await VaultFixture.with { (f: VaultFixture) async throws in
            try await f.mount { (m: MountedFileSystem) async throws in
                _ = try Data(contentsOf: URL(fileURLWithPath: m.path(f.jobPath(f.binaryJob))))
                _ = try await VerificationTests.xattr(
                    "user.glacier.verified", m.path(f.jobPath(f.binaryJob)),
                    settlingOn: "complete (root matched)")
            }
            // The root recorded for the job no longer agrees with the cached digests.
            let meta = try Self.metaFile(cache: f.cacheDirectory, job: f.binaryJob)
            var object =
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: meta))) as! [String: Any]
            object["expectedTreeHash"] = String(repeating: "cd", count: 32)
            object["wholeOutputCheck"] = nil
            try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: meta))
            let glacierfs = TestPaths.binary("glacierfs")
            let verify = try await Command.run(glacierfs, ["cache", "verify", "--cache-dir", f.cacheDirectory])
            #expect(verify.status == 9, "\(verify.output)")
            #expect(verify.output.contains("DOES NOT MATCH the job's tree hash: output dropped"), "\(verify.output)")
            let status = try await Command.run(glacierfs, ["cache", "status", "--cache-dir", f.cacheDirectory])
            #expect(status.output.contains("root mismatch"), "\(status.output)")
            let data = (meta as NSString).deletingLastPathComponent + "/data"
            let du = try await Command.run("/usr/bin/du", ["-k", data])
            #expect(du.output.hasPrefix("0\t"), "the data is freed: \(du.output)")
        }
    }

    @Test func theRootOfAnOutputSixTimesTheCacheIsChecked() async throws {
        try await EmulatorProcess.with { (emulator: EmulatorProcess) async throws in
            try await TempDirectory.with("bigroot") { (dir: URL) async throws in
                let client = emulator.client()
                let file = try Seed.randomFile(size: 96 * Self.mib, in: dir)
                let (_, good) = try await Seed.archiveJob(client, vault: "v", file: file)
                let (_, bad) = try await Seed.archiveJob(client, vault: "v", file: file)
                try await emulator.overrideJob(
                    vault: "v", jobId: bad,
                    json: "{\"SHA256TreeHash\":\"\(String(repeating: "0f", count: 32))\"}")
                let cache = dir.appendingPathComponent("cache").path
                try await MountedFileSystem.with(
                    endpoint: emulator.endpoint, environment: emulator.environment,
                    cacheDirectory: cache, extraArguments: ["--cache-size", "16M"]
                ) { m in
                    let goodPath = m.path("v/jobs/\(good)/output")
                    let copy = dir.appendingPathComponent("copy").path
                    #expect(try await Command.run("/bin/cp", [goodPath, copy], timeout: 300).status == 0)
                    #expect(try await VaultFixture.sha256(copy) == VaultFixture.sha256(file.path))
                    let verified = try await VerificationTests.xattr(
                        "user.glacier.verified", goodPath,
                        settlingOn: "complete (root matched)")
                    #expect(
                        verified == "complete (root matched)", "checked through a cache a sixth its size: \(verified)")
                    let status = try await VerificationTests.xattr("user.glacierfs.status", m.mountpoint)
                    let cacheUsage =
                        (try JSONSerialization.jsonObject(with: Data(status.utf8)) as? [String: Any])?["cache"]
                        as? [String: Any]
                    #expect((cacheUsage?["usedBytes"] as? Int ?? .max) <= 16 * Self.mib, "\(status)")
                    #expect((cacheUsage?["evictions"] as? Int ?? 0) > 0, "leaves were evicted on the way")

                    let badCopy = dir.appendingPathComponent("bad").path
                    let r = try await Command.run("/bin/cp", [m.path("v/jobs/\(bad)/output"), badCopy], timeout: 300)
                    #expect(
                        r.status != 0 && r.output.contains("Input/output error"),
                        "a mismatch is caught through the small cache too: \(r.output)")
                }
            }
        }
    }

    @Test func inventoriesAreParsedWholeBeforeAnyByteIsServed() async throws {
        try await VaultFixture.with { (f: VaultFixture) async throws in
            var expected: [String: Data] = [:]
            for job in [f.inventoryJob, f.csvInventoryJob] {
                let size = try await f.client.describeJob(vault: "v", jobId: job).inventorySizeInBytes ?? 0
                expected[job] = Data(
                    try await f.client.getWholeJobOutput(
                        vault: "v", jobId: job, outputSize: size,
                        verification: .sizeOnly
                    ).bytes)
            }
            // Every fault the wire can show that size checks and the parser catch: served exactly.
            try await f.emulator.setFaults(
                [
                    "truncate": 0.1, "reset": 0.1, "bad-content-range": 0.1, "unavailable": 0.1,
                    "throttle": 0.1,
                ], seed: 3)
            try await f.mount { (m: MountedFileSystem) async throws in
                for job in [f.inventoryJob, f.csvInventoryJob] {
                    let served = try Data(contentsOf: URL(fileURLWithPath: m.path(f.jobPath(job))))
                    #expect(served == expected[job], "inventory \(job) is exact under faults")
                }
                let log = try String(contentsOfFile: m.cacheDirectory + "/glacierfs.log", encoding: .utf8)
                #expect(log.contains("inventory parsed whole"), "the log says it was parsed")
            }
            #expect(try await f.emulator.statistics().faultsTotal > 0, "faults were injected")
            try await f.emulator.setFaults([:])

            // Bytes that pass every size check but do not parse: no byte of them is served. JSON with
            // a Size that is not a number; CSV with a row short of a column (both of the right length).
            var json = String(decoding: expected[f.inventoryJob]!, as: UTF8.self)
            let size = json.range(of: "\"Size\":")!.upperBound
            json.replaceSubrange(size ..< json.index(after: size), with: "x")
            var csv = String(decoding: expected[f.csvInventoryJob]!, as: UTF8.self)
            let secondRow = csv.index(after: csv.firstIndex(of: "\n")!)
            let comma = csv[secondRow...].lastIndex(of: ",")!
            csv.replaceSubrange(comma ... comma, with: ";")
            for (job, body, type) in [(f.inventoryJob, json, "application/json"), (f.csvInventoryJob, csv, "text/csv")]
            {
                try await TempDirectory.with("bad") { (dir: URL) async throws in
                    // Every attempt gets the bad bytes (a reader's retry would otherwise get good ones).
                    try await f.emulator.overrideResponses(
                        "GetJobOutput", status: 200, headers: ["Content-Type": type],
                        body: body, count: 100)
                    try await MountedFileSystem.with(
                        endpoint: f.emulator.endpoint, environment: f.emulator.environment,
                        cacheDirectory: dir.appendingPathComponent("cache").path
                    ) { m in
                        let r = try await Command.shell("head -c 100 '\(m.path(f.jobPath(job)))' > /dev/null")
                        let log = try String(contentsOfFile: m.cacheDirectory + "/glacierfs.log", encoding: .utf8)
                        #expect(r.status != 0 && r.output.contains("Input/output error"), "\(job): \(r.output) \(log)")
                        #expect(
                            log.contains("inventory of vault v job \(job) is not valid"), "the log says why: \(log)")
                        #expect(!log.contains("inventory parsed whole"))
                    }
                    try await f.emulator.clearResponseOverrides()
                }
            }
        }
    }

    @Test func anInventoryLargerThanTheMemoryBudgetIsParsedWholeAndServedExactly() async throws {
        try await EmulatorProcess.with { (emulator: EmulatorProcess) async throws in
            try await TempDirectory.with("biginventory") { (dir: URL) async throws in
                let client = emulator.client()
                try await client.createVault("v")
                try await emulator.createSyntheticArchives(vault: "v", count: 150_000)
                let job = try await client.initiateInventoryRetrieval(vault: "v", format: "JSON").jobId
                try await Seed.waitForJob(client, vault: "v", jobId: job, timeout: 120)
                let size = try await client.describeJob(vault: "v", jobId: job).inventorySizeInBytes ?? 0
                #expect(size > 48 << 20, "the inventory (\(size) bytes) is larger than the memory budget")
                let expected = Data(
                    try await client.getWholeJobOutput(
                        vault: "v", jobId: job, outputSize: size,
                        verification: .sizeOnly
                    ).bytes)
                let reference = dir.appendingPathComponent("reference.json")
                try expected.write(to: reference)
                try await MountedFileSystem.with(
                    endpoint: emulator.endpoint, environment: emulator.environment,
                    cacheDirectory: dir.appendingPathComponent("cache").path,
                    extraArguments: ["--memory-limit", "48M"]
                ) { m in
                    let served = try await VaultFixture.sha256(m.path("v/jobs/\(job)/output"))
                    #expect(served == (try await VaultFixture.sha256(reference.path)), "served exactly")
                    let log = try String(contentsOfFile: m.cacheDirectory + "/glacierfs.log", encoding: .utf8)
                    #expect(log.contains("inventory parsed whole: 150000 archive(s)"), "parsed whole first")
                }
            }
        }
    }

    static func metaFile(cache: String, job: String) throws -> String {
        let outputs = cache + "/outputs"
        for name in try FileManager.default.contentsOfDirectory(atPath: outputs) {
            let meta = outputs + "/" + name + "/meta.json"
            if let text = try? String(contentsOfFile: meta, encoding: .utf8), text.contains(job) { return meta }
        }
        throw SeedError("no cache entry for job \(job)")
    }
}
