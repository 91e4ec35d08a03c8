import Foundation
import GlacierModel
import GlacierTestSupport
import Testing

/// What a mount shows: vaults, jobs, outputs and job descriptions, as a user's tools see them.
@Suite(.serialized) struct LayoutTests {
    @Test func vaultsJobsAndOutputsAppearWithTheirSizesModesAndTimes() async throws {
        try await VaultFixture.with { (f: VaultFixture) async throws in
            try await f.mount { (m: MountedFileSystem) async throws in
                #expect(try FileManager.default.contentsOfDirectory(atPath: m.mountpoint) == ["v"])
                #expect(Set(try FileManager.default.contentsOfDirectory(atPath: m.path("v"))) == ["jobs", "archives"])
                let jobs = try FileManager.default.contentsOfDirectory(atPath: m.path("v/jobs"))
                #expect(
                    Set(jobs)
                        == Set([
                            f.binaryJob, f.tarJob, f.alignedRangeJob, f.unalignedRangeJob, f.inventoryJob,
                            f.csvInventoryJob,
                        ]))
                for job in jobs {
                    #expect(
                        Set(try FileManager.default.contentsOfDirectory(atPath: m.path("v/jobs/\(job)")))
                            == ["job.json", "output"])
                }
                func size(_ job: String) throws -> Int64 {
                    (try FileManager.default.attributesOfItem(atPath: m.path(f.jobPath(job)))[.size] as! NSNumber)
                        .int64Value
                }
                #expect(
                    try size(f.binaryJob) == Int64(20 * VaultFixture.mib + VaultFixture.mib / 2), "ArchiveSizeInBytes")
                #expect(try size(f.alignedRangeJob) == Int64(8 * VaultFixture.mib), "the length of the retrieved range")
                let inventory = try await f.client.describeJob(vault: "v", jobId: f.inventoryJob)
                #expect(try size(f.inventoryJob) == inventory.inventorySizeInBytes, "InventorySizeInBytes")

                var st = stat()
                #expect(stat(m.path(f.jobPath(f.binaryJob)), &st) == 0)
                #expect(st.st_mode & 0o7777 == 0o444 && (st.st_mode & S_IFMT) == S_IFREG)
                let described = try await f.client.describeJob(vault: "v", jobId: f.binaryJob)
                let completed = GlacierTimestamp.parse(described.completionDate!)!
                #expect(abs(Double(st.st_mtim.tv_sec) - completed.timeIntervalSince1970) < 1, "mtime is CompletionDate")
                for dir in ["", "v", "v/jobs", "v/jobs/\(f.binaryJob)"] {
                    #expect(stat(m.path(dir), &st) == 0)
                    #expect(st.st_mode & 0o7777 == 0o555 && (st.st_mode & S_IFMT) == S_IFDIR, "\(dir)")
                }

                // `ls -l` is answered from the listing: no DescribeJob per file.
                let describesBefore = try await f.requests("DescribeJob")
                let ls = try await Command.run("/bin/ls", ["-lR", m.mountpoint])
                #expect(ls.status == 0)
                #expect(try await f.requests("DescribeJob") == describesBefore)
            }
        }
    }

    @Test func theMountListsEachVaultsJobsBeforeAnyoneLooks() async throws {
        try await VaultFixture.with { (f: VaultFixture) async throws in
            let before = try await f.requests("ListJobs")
            try await f.mount { (m: MountedFileSystem) async throws in
                // Nothing looks into the mount: the daemon lists the jobs on its own.
                var listed = try await f.requests("ListJobs")
                let deadline = Date().addingTimeInterval(10)
                while listed == before && Date() < deadline {
                    try await Task.sleep(nanoseconds: 50_000_000)
                    listed = try await f.requests("ListJobs")
                }
                #expect(listed == before + 1, "one listing of the one vault, ahead of the first look")
                _ = try FileManager.default.attributesOfItem(atPath: m.path(f.jobPath(f.binaryJob)))
                #expect(try await f.requests("ListJobs") == listed, "the first look uses it")
            }
        }
    }

    @Test func jobJSONHoldsThePrettyDescription() async throws {
        try await VaultFixture.with { (f: VaultFixture) async throws in
            try await f.mount { (m: MountedFileSystem) async throws in
                let text = try String(contentsOfFile: m.path(f.jobPath(f.binaryJob, "job.json")), encoding: .utf8)
                #expect(text.contains("\n  \"Action\" : \"ArchiveRetrieval\""), "pretty-printed: \(text.prefix(200))")
                let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
                #expect(object["JobId"] as? String == f.binaryJob)
                #expect(object["StatusCode"] as? String == "Succeeded")
                #expect((object["glacierfs"] as? [String: String])?["output"] == "present")
            }
        }
    }

    @Test func fileManagerProbesAreAnsweredWithoutTheNetwork() async throws {
        try await VaultFixture.with { (f: VaultFixture) async throws in
            try await f.mount { (m: MountedFileSystem) async throws in
                _ = try FileManager.default.contentsOfDirectory(atPath: m.path("v/jobs"))  // listings now in hand
                let before = try await f.emulator.statistics().requests
                let probes = [
                    ".hidden", ".Trash", ".Trash-0", "desktop.ini", "autorun.inf", ".xdg-volume-info",
                    "folder.jpg", ".directory", "Thumbs.db", "..weird", String(repeating: "x", count: 300),
                ]
                for dir in ["", "v", "v/jobs", "v/jobs/\(f.binaryJob)"] {
                    for name in probes {
                        var st = stat()
                        let path = dir.isEmpty ? m.path(name) : m.path("\(dir)/\(name)")
                        #expect(stat(path, &st) == -1 && (errno == ENOENT || errno == ENAMETOOLONG), "\(path)")
                    }
                }
                let after = try await f.emulator.statistics().requests
                #expect(
                    after.filter { $0.key != "Admin" } == before.filter { $0.key != "Admin" },
                    "probes made requests: \(before) -> \(after)")
            }
        }
    }

    @Test func everyChangeIsRefusedAsReadOnly() async throws {
        try await VaultFixture.with { (f: VaultFixture) async throws in
            try await f.mount { (m: MountedFileSystem) async throws in
                let output = m.path(f.jobPath(f.binaryJob))
                for script in [
                    "echo x > '\(output)'", "echo x >> '\(output)'", "touch '\(m.path("v/new"))'",
                    "mkdir '\(m.path("v/jobs/new"))'", "rm -f '\(output)'", "mv '\(output)' '\(output).moved'",
                    "ln -s '\(output)' '\(m.path("v/link"))'", "truncate -s 0 '\(output)'",
                    "setfattr -n user.x -v y '\(output)'",
                ] {
                    let r = try await Command.shell(script)
                    #expect(r.status != 0, "\(script) must fail")
                    #expect(r.output.contains("Read-only file system"), "\(script): \(r.output)")
                }
                #expect(
                    try await VaultFixture.sha256(output) == VaultFixture.sha256(f.binary.path), "the file is unchanged"
                )
            }
        }
    }

    @Test func onlyTheChosenVaultsAreShown() async throws {
        try await VaultFixture.with { (f: VaultFixture) async throws in
            try await f.client.createVault("other")
            try await f.mount(extraArguments: ["--vault", "v"]) { (m: MountedFileSystem) async throws in
                #expect(try FileManager.default.contentsOfDirectory(atPath: m.mountpoint) == ["v"])
            }
            try await f.mount { (m: MountedFileSystem) async throws in
                #expect(Set(try FileManager.default.contentsOfDirectory(atPath: m.mountpoint)) == ["v", "other"])
            }
        }
    }

    @Test func jobsWithoutOutputSayWhyInJobJSON() async throws {
        try await EmulatorProcess.with(jobDelay: 3600) { emulator in
            try await TempDirectory.with("pending") { dir in
                let client = emulator.client()
                try await client.createVault("v")
                let file = try Seed.randomFile(size: 2 * VaultFixture.mib, in: dir)
                let kept = try await client.uploadArchive(vault: "v", file: file.path)
                let doomed = try await client.uploadArchive(vault: "v", file: file.path)
                let failing = try await client.initiateArchiveRetrieval(vault: "v", archiveId: doomed.archiveId).jobId
                // The archive goes before its job completes, so the job Fails when it is due.
                try await client.deleteArchive(vault: "v", archiveId: doomed.archiveId)
                try await emulator.advanceJobClock(by: 3601)
                let pending = try await client.initiateArchiveRetrieval(vault: "v", archiveId: kept.archiveId).jobId
                try await MountedFileSystem.with(
                    endpoint: emulator.endpoint, environment: emulator.environment,
                    cacheDirectory: dir.appendingPathComponent("cache").path
                ) { (m: MountedFileSystem) async throws in
                    for (job, status, words) in [
                        (pending, "InProgress", "still InProgress"), (failing, "Failed", "Failed"),
                    ] {
                        #expect(
                            try FileManager.default.contentsOfDirectory(atPath: m.path("v/jobs/\(job)")) == ["job.json"]
                        )
                        var st = stat()
                        #expect(stat(m.path("v/jobs/\(job)/output"), &st) == -1 && errno == ENOENT)
                        let text = try String(contentsOfFile: m.path("v/jobs/\(job)/job.json"), encoding: .utf8)
                        #expect(text.contains("\"StatusCode\" : \"\(status)\""))
                        #expect(text.contains(words), "job.json says why: \(text)")
                    }
                }
            }
        }
    }
}
