import Foundation
import GlacierTestSupport
import Testing

/// kill -9 in the middle of heavy parallel reads, again and again: what is read afterwards is
/// always exact, and nothing piles up in the cache.
@Suite(.serialized) struct CrashTests {
    @Test func killingTheDaemonMidReadNeverLeavesTheCacheLying() async throws {
        let iterations = 20 * ReliabilityFixture.stress
        let mib = ReliabilityFixture.mib
        try await ReliabilityFixture.with(sizes: [24 * mib, 17 * mib + 333, 40 * mib]) { (f: ReliabilityFixture) async throws in
            let expected = try await f.sourceHashes()
            var generator = SystemRandomNumberGenerator()
            var killedWhileReading = 0
            for iteration in 0..<iterations {
                let mounted = try await MountedFileSystem.mount(endpoint: f.emulator.endpoint, environment: f.emulator.environment,
                                                                cacheDirectory: f.cacheDirectory)
                guard let pid = await mounted.daemonPid() else {
                    await mounted.unmount()
                    Issue.record("no daemon pid")
                    return
                }
                // Heavy parallel reads: whole files and scattered blocks of all three outputs.
                var readers: [ChildProcess] = []
                for index in 0..<3 {
                    readers.append(try ChildProcess.start("/bin/cat", [f.path(mounted, index)]))
                    let skip = Int.random(in: 0..<16, using: &generator)
                    readers.append(try ChildProcess.start("/bin/dd", ["if=\(f.path(mounted, index))", "of=/dev/null",
                                                                      "bs=1M", "skip=\(skip)", "count=4", "status=none"]))
                }
                try await Task.sleep(nanoseconds: UInt64.random(in: 20_000_000...400_000_000, using: &generator))
                if readers.contains(where: \.isRunning) { killedWhileReading += 1 }
                kill(pid, SIGKILL)
                for r in readers { r.stop(grace: 2) }
                await mounted.unmount()
                #expect(!mounted.isMounted)

                // Every second iteration, and the last, read everything back and compare.
                if iteration % 2 == 1 || iteration == iterations - 1 {
                    try await f.mount { (m: MountedFileSystem) async throws in
                        for index in 0..<3 {
                            #expect(try await ReliabilityFixture.sha256(f.path(m, index)) == expected[index],
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
            report("crashes: \(iterations) kill -9 iterations (\(killedWhileReading) while readers were running), "
                   + "every later read exact, \(temporaries.count) temporary files left, "
                   + "corrupt leaves dropped on the last mount \(corruptDropped)")
        }
    }

    @Test func aCachedLeafWhoseBytesRottedIsDroppedAndFetchedAgain() async throws {
        try await ReliabilityFixture.with(sizes: [6 * ReliabilityFixture.mib]) { (f: ReliabilityFixture) async throws in
            let expected = try await f.sourceHashes()
            try await f.mount { (m: MountedFileSystem) async throws in _ = try await ReliabilityFixture.sha256(f.path(m, 0)) }
            // Damage the cached data of leaf 3 behind glacierfs's back, as a bad disk would.
            let data = try FileManager.default.contentsOfDirectory(atPath: f.cacheDirectory + "/outputs")
                .map { f.cacheDirectory + "/outputs/\($0)/data" }.first!
            let handle = try FileHandle(forUpdating: URL(fileURLWithPath: data))
            try handle.seek(toOffset: UInt64(3 * ReliabilityFixture.mib + 12345))
            try handle.write(contentsOf: Data([0xde, 0xad, 0xbe, 0xef]))
            try handle.close()
            let fetchesBefore = try await f.emulator.requests("GetJobOutput")
            try await f.mount { (m: MountedFileSystem) async throws in
                #expect(try await ReliabilityFixture.sha256(f.path(m, 0)) == expected[0])
                let status = try await m.status()
                #expect(status.cache.corruptLeavesDropped == 1)
                #expect(m.log.contains("failed its check"))
            }
            #expect(try await f.emulator.requests("GetJobOutput") == fetchesBefore + 1, "only the bad leaf is fetched again")
        }
    }

    @Test func aSmallRandomReadOfARottedBlockIsCaughtToo() async throws {
        let mib = ReliabilityFixture.mib
        // Reads further apart than the sequential detector tolerates (8 MiB back, 2 MiB ahead).
        try await ReliabilityFixture.with(sizes: [40 * mib]) { (f: ReliabilityFixture) async throws in
            // Read sequentially (cached without block checksums), then at random in the same
            // mount: the random reads give leaves 12 and 36 their block checksums.
            try await f.mount { (m: MountedFileSystem) async throws in
                _ = try await ReliabilityFixture.sha256(f.path(m, 0))
                let r = try await Self.preadAt([30 * mib + 5, 100, 12 * mib + 4096, 36 * mib + 4096], f.path(m, 0))
                #expect(r.status == 0, "\(r.output)")
            }
            let output = try FileManager.default.contentsOfDirectory(atPath: f.cacheDirectory + "/outputs")
                .map { f.cacheDirectory + "/outputs/\($0)" }.first!
            var index = try Data(contentsOf: URL(fileURLWithPath: output + "/index"))
            #expect(Self.hasBlockChecksums(index, leaf: 12), "leaf 12 gained block checksums from the random read")
            #expect(Self.hasBlockChecksums(index, leaf: 36))
            #expect(!Self.hasBlockChecksums(index, leaf: 24), "leaf 24, read only sequentially, has none")

            let handle = try FileHandle(forUpdating: URL(fileURLWithPath: output + "/data"))
            try handle.seek(toOffset: UInt64(12 * mib + 70_000))
            try handle.write(contentsOf: Data([0x00, 0x01]))
            try handle.close()
            try await f.mount { (m: MountedFileSystem) async throws in
                // Leaf 24 is read whole (no checksums yet), leaf 36 by its blocks, then leaf 12's bad block.
                let at = 12 * mib + 17 * 4096
                let result = try await Self.preadAt([100, 24 * mib + 100, 36 * mib + 100, at], f.path(m, 0),
                                                    savingLastTo: f.directory.path + "/block")
                #expect(result.status == 0, "\(result.output)")
                let got = try Data(contentsOf: URL(fileURLWithPath: f.directory.path + "/block"))
                let source = try Data(contentsOf: f.outputs[0].source)
                #expect(got == source[at..<(at + 4096)], "the read is served correct bytes, not the rotted ones")
                let status = try await m.status()
                #expect(status.reads.blockReadsFromDisk >= 1, "small random reads were checked by their blocks")
                #expect(status.cache.corruptLeavesDropped == 1)
            }
            index = try Data(contentsOf: URL(fileURLWithPath: output + "/index"))
            #expect(Self.hasBlockChecksums(index, leaf: 24), "a random read of a leaf read back whole adds its checksums")
        }
    }

    /// Whether a leaf's slot in a cache index says it has block checksums (byte 108 of the slot).
    private static func hasBlockChecksums(_ index: Data, leaf: Int) -> Bool {
        let at = 128 + leaf * 128 + 108
        return index.count > at && index[at] == 1
    }

    /// 4 KiB preads at `offsets` through one handle, bypassing the page cache, the last one saved to `savingLastTo`.
    private static func preadAt(_ offsets: [Int], _ path: String, savingLastTo copy: String? = nil) async throws -> Command.Result {
        let script = """
            import os, sys
            fd = os.open(sys.argv[1], os.O_RDONLY)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)  # past the kernel's page cache
            offsets = [int(o) for o in sys.argv[3].split(",")]
            for o in offsets[:-1]: os.pread(fd, 4096, o)
            last = os.pread(fd, 4096, offsets[-1])
            if sys.argv[2]: open(sys.argv[2], "wb").write(last)
            """
        return try await Command.run("/usr/bin/env", ["python3", "-c", script, path, copy ?? "",
                                                      offsets.map(String.init).joined(separator: ",")])
    }
}
