import CPlatformSupport
import Foundation
import GlacierFileSystem
import GlacierTestSupport
import Testing

/// kill -9 in the middle of heavy parallel reads, again and again: what is read afterwards is
/// always exact, and nothing piles up in the cache.
@Suite(.serialized) struct CrashTests {
    @Test func killingTheDaemonMidReadNeverLeavesTheCacheLying() async throws {
        let iterations = 20 * ReliabilityFixture.stress
        let mib = ReliabilityFixture.mib
        // A shaped link keeps fetches and cache writes in flight long enough to be killed among them:
        // capped as a whole, so however many connections glacierfs opens, a read takes seconds.
        try await ReliabilityFixture.with(
            sizes: [24 * mib, 17 * mib + 333, 40 * mib],
            extraEmulatorArguments: ["--bandwidth", "30MB", "--link-bandwidth", "10MB"]
        ) { (f: ReliabilityFixture) async throws in
            let expected = try await f.sourceHashes()
            let glacierfs = TestPaths.binary("glacierfs")
            var generator = SystemRandomNumberGenerator()
            var killedWhileReading = 0, killedDuringFetches = 0, killedDuringWrites = 0
            for iteration in 0 ..< iterations {
                // Fresh ranges every time: the cache keeps only part of what earlier iterations read,
                // so this mount must fetch, and write what it fetched.
                let keep = Int.random(in: 0 ... 40, using: &generator)
                if FileManager.default.fileExists(atPath: f.cacheDirectory) {
                    let pruned = try await Command.run(
                        glacierfs, ["cache", "prune", "--to", "\(keep)M", "--cache-dir", f.cacheDirectory])
                    #expect(pruned.status == 0, "\(pruned.output)")
                }
                // Little memory, so nodes are small and complete (and go to the cache writers) all
                // through the reads, not all together at the end.
                let mounted = try await MountedFileSystem.mount(
                    endpoint: f.emulator.endpoint, environment: f.emulator.environment,
                    cacheDirectory: f.cacheDirectory,
                    extraArguments: ["--memory-limit", "48M"])
                guard let pid = await mounted.daemonPid(patience: .seconds(15)) else {
                    await mounted.unmount()
                    Issue.record("no daemon pid")
                    return
                }
                // The listing may lag on a loaded machine: readers start once every output is there.
                let listed = ContinuousClock.now + .seconds(30)
                while (0 ..< 3).contains(where: { !FileManager.default.fileExists(atPath: f.path(mounted, $0)) }),
                    ContinuousClock.now < listed
                {
                    try await Task.sleep(nanoseconds: 20_000_000)
                }
                // Heavy parallel reads: whole files and scattered blocks of all three outputs.
                var readers: [ChildProcess] = []
                for index in 0 ..< 3 {
                    readers.append(try ChildProcess.start("/bin/cat", [f.path(mounted, index)]))
                    let skip = Int.random(in: 0 ..< 16, using: &generator)
                    readers.append(
                        try ChildProcess.start(
                            "/bin/dd",
                            [
                                "if=\(f.path(mounted, index))", "of=/dev/null",
                                "bs=1M", "skip=\(skip)", "count=4", "status=none",
                            ]))
                }
                // Kill while fetches are in flight, and while a cache write is under way if one is seen
                // within a second and a half of the fetches: a node's write takes milliseconds, so a
                // status sample catches one only now and then (how often is reported). The watching
                // runs on a thread of its own: on a loaded test run the shared task pool can wake a
                // sleeping task seconds late, and the readers would be done by then.
                let delay = UInt32.random(in: 10_000 ... 150_000, using: &generator)
                let mountpoint = mounted.mountpoint
                let running = readers
                let watched = try await offPool { () -> (reading: Bool, fetching: Bool, writing: Bool) in
                    usleep(delay)
                    var fetching = false, writing = false
                    var firstFetch: Date?
                    let deadline = Date().addingTimeInterval(20)
                    while Date() < deadline {
                        if let reads = Self.status(mountpoint)?.reads {
                            fetching = reads.fetchesInFlight > 0
                            writing = reads.cacheWriteBytesPending > 0
                            if fetching && firstFetch == nil { firstFetch = Date() }
                            if fetching && writing { break }
                            if fetching, let first = firstFetch, Date().timeIntervalSince(first) > 1.5 { break }
                        }
                        usleep(2_000)
                    }
                    let reading = running.contains(where: \.isRunning)
                    kill(pid, SIGKILL)
                    return (reading, fetching, writing)
                }
                if watched.reading { killedWhileReading += 1 }
                if watched.fetching { killedDuringFetches += 1 }
                if watched.writing { killedDuringWrites += 1 }
                for r in readers { r.stop(grace: 2) }
                await mounted.unmount()
                #expect(!mounted.isMounted)

                // Every second iteration, and the last, read everything back and compare.
                if iteration % 2 == 1 || iteration == iterations - 1 {
                    try await f.mount { (m: MountedFileSystem) async throws in
                        for index in 0 ..< 3 {
                            #expect(
                                try await ReliabilityFixture.sha256(f.path(m, index)) == expected[index],
                                "iteration \(iteration), output \(index)")
                        }
                    }
                }
            }
            let temporaries = FileManager.default.enumerator(atPath: f.cacheDirectory)!.compactMap { $0 as? String }
                .filter { ($0 as NSString).lastPathComponent.hasPrefix(".tmp-") }
            #expect(temporaries.count <= 1, "temporary files piled up: \(temporaries)")
            var corruptDropped = 0
            try await f.mount { m in corruptDropped = try await m.status().cache.corruptLeavesDropped }
            report(
                "crashes: \(iterations) kill -9 iterations: \(killedWhileReading) while readers ran, "
                    + "\(killedDuringFetches) during fetches, \(killedDuringWrites) during cache writes; every later read "
                    + "exact, \(temporaries.count) temporary files left, corrupt leaves dropped on the last mount \(corruptDropped)"
            )
            #expect(killedWhileReading == iterations, "every kill lands while readers run")
            #expect(killedDuringFetches == iterations, "every kill lands while fetches are in flight")
            #expect(killedDuringWrites > 0, "some kills land during a cache write")
        }
    }

    @Test func aCachedLeafWhoseBytesRottedIsDroppedAndFetchedAgain() async throws {
        try await ReliabilityFixture.with(sizes: [6 * ReliabilityFixture.mib]) { (f: ReliabilityFixture) async throws in
            let expected = try await f.sourceHashes()
            try await f.mount { (m: MountedFileSystem) async throws in
                _ = try await ReliabilityFixture.sha256(f.path(m, 0))
            }
            // Damage the cached data of leaf 3 behind glacierfs's back, as a bad disk would.
            try Self.damage(try f.cachedOutput() + "/data", at: 3 * ReliabilityFixture.mib + 12345)
            let fetchesBefore = try await f.emulator.requests("GetJobOutput")
            try await f.mount { (m: MountedFileSystem) async throws in
                #expect(try await ReliabilityFixture.sha256(f.path(m, 0)) == expected[0])
                let status = try await m.status()
                #expect(status.cache.corruptLeavesDropped == 1)
                #expect(m.log.contains("failed its check"))
            }
            #expect(
                try await f.emulator.requests("GetJobOutput") == fetchesBefore + 1, "only the bad leaf is fetched again"
            )
        }
    }

    @Test func rotIsCaughtWhetherALeafIsReadWholeOrByItsBlocks() async throws {
        let mib = ReliabilityFixture.mib
        // Reads further apart than the sequential detector tolerates (8 MiB back, 2 MiB ahead).
        try await ReliabilityFixture.with(sizes: [40 * mib]) { (f: ReliabilityFixture) async throws in
            let expected = try await f.sourceHashes()
            try await f.mount { (m: MountedFileSystem) async throws in
                _ = try await ReliabilityFixture.sha256(f.path(m, 0))
            }
            let output = try f.cachedOutput()
            let index = try Data(contentsOf: URL(fileURLWithPath: output + "/index"))
            #expect(
                (0 ..< 40).allSatisfy { Self.hasBlockChecksums(index, leaf: $0) },
                "every stored leaf has its block checksums")

            // Rot in leaf 12 (to be read by its blocks) and leaf 20 (to be read whole).
            try Self.damage(output + "/data", at: 12 * mib + 70_000)
            try Self.damage(output + "/data", at: 20 * mib + 999_000)
            try await f.mount { (m: MountedFileSystem) async throws in
                let at = 12 * mib + 17 * 4096
                let result = try await Self.preadAt(
                    [100, 24 * mib + 100, 36 * mib + 100, at], f.path(m, 0),
                    savingLastTo: f.directory.path + "/block")
                #expect(result.status == 0, "\(result.output)")
                let got = try Data(contentsOf: URL(fileURLWithPath: f.directory.path + "/block"))
                let source = try Data(contentsOf: f.outputs[0].source)
                #expect(got == source[at ..< (at + 4096)], "the read is served correct bytes, not the rotted ones")
                var status = try await m.status()
                #expect(status.reads.blockReadsFromDisk >= 1, "small random reads were checked by their blocks")
                #expect(status.cache.corruptLeavesDropped == 1)
                #expect(try await ReliabilityFixture.sha256(f.path(m, 0)) == expected[0])
                status = try await m.status()
                #expect(
                    status.cache.corruptLeavesDropped == 2, "leaf 20, read back whole, failed its check too")
            }
        }
    }

    @Test func cacheVerifyRehashesEveryLeafAndDropsTheBadOnes() async throws {
        let mib = ReliabilityFixture.mib
        try await ReliabilityFixture.with(sizes: [6 * mib]) { (f: ReliabilityFixture) async throws in
            let expected = try await f.sourceHashes()
            try await f.mount { (m: MountedFileSystem) async throws in
                _ = try await ReliabilityFixture.sha256(f.path(m, 0))
            }
            let glacierfs = TestPaths.binary("glacierfs")
            let clean = try await Command.run(glacierfs, ["cache", "verify", "--cache-dir", f.cacheDirectory])
            #expect(clean.status == 0, "\(clean.output)")
            #expect(
                clean.output.contains("matches the job's tree hash")
                    && clean.output.contains("checked 6 cached leaves"),
                "\(clean.output)")

            let output = try f.cachedOutput()
            try Self.damage(output + "/data", at: 4 * mib + 4242)
            let rotted = try await Command.run(glacierfs, ["cache", "verify", "--cache-dir", f.cacheDirectory])
            #expect(rotted.status == 9, "\(rotted.output)")
            #expect(rotted.output.contains("1 leaf(s) failed their SHA-256 and were dropped"), "\(rotted.output)")
            // The dropped leaf's digest outlives its bytes, so the root is still checked, and matches.
            #expect(rotted.output.contains("matches the job's tree hash"), "\(rotted.output)")

            let fetchesBefore = try await f.emulator.requests("GetJobOutput")
            try await f.mount { (m: MountedFileSystem) async throws in
                #expect(try await ReliabilityFixture.sha256(f.path(m, 0)) == expected[0])
                #expect(try await m.status().cache.corruptLeavesDropped == 0, "the bad leaf was already gone")
            }
            #expect(
                try await f.emulator.requests("GetJobOutput") == fetchesBefore + 1,
                "only the dropped leaf is fetched again")
        }
    }

    /// Overwrites two bytes of a cache data file behind glacierfs's back, as a bad disk would.
    private static func damage(_ path: String, at offset: Int) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try handle.seek(toOffset: UInt64(offset))
        let old = try handle.read(upToCount: 2) ?? Data()
        try handle.seek(toOffset: UInt64(offset))
        try handle.write(contentsOf: Data(old.map { ~$0 }))
        try handle.close()
    }

    /// Whether a leaf's slot in a cache index says it has block checksums (byte 108 of the slot).
    private static func hasBlockChecksums(_ index: Data, leaf: Int) -> Bool {
        let at = 128 + leaf * 128 + 108
        return index.count > at && index[at] == 1
    }

    /// 4 KiB preads at `offsets` through one handle, bypassing the page cache, the last one saved to `savingLastTo`.
    private static func preadAt(
        _ offsets: [Int], _ path: String, savingLastTo copy: String? = nil
    ) async throws -> Command.Result {
        let script = """
            import os, sys
            fd = os.open(sys.argv[1], os.O_RDONLY)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)  # past the kernel's page cache
            offsets = [int(o) for o in sys.argv[3].split(",")]
            for o in offsets[:-1]: os.pread(fd, 4096, o)
            last = os.pread(fd, 4096, offsets[-1])
            if sys.argv[2]: open(sys.argv[2], "wb").write(last)
            """
        return try await Command.run(
            "/usr/bin/env",
            [
                "python3", "-c", script, path, copy ?? "",
                offsets.map(String.init).joined(separator: ","),
            ])
    }

    /// The daemon's status document, read straight from the root's extended attribute (no task,
    /// no child process).
    static func status(_ mountpoint: String) -> FileSystemStatus? {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        let n = glfs_getxattr(mountpoint, GlacierFileSystem.statusAttribute, &buffer, buffer.count)
        guard n > 0 else { return nil }
        return try? JSONDecoder().decode(FileSystemStatus.self, from: Data(buffer[0 ..< n]))
    }
}
