import Foundation
import GlacierTestSupport
import Testing

/// Small disks, full disks, many readers: the mount keeps working and memory stays bounded.
@Suite(.serialized) struct ResourceLimitTests {
    @Test func aCacheOnA64MiBFilesystemEvictsAndKeepsWorking() async throws {
        try await ReliabilityFixture.with(sizes: [256 * ReliabilityFixture.mib]) {
            (f: ReliabilityFixture) async throws in
            try await SmallFilesystem.with(megabytes: 64) { (tmpfs: String) async throws in
                try await MountedFileSystem.with(
                    endpoint: f.emulator.endpoint, environment: f.emulator.environment,
                    cacheDirectory: tmpfs + "/cache", extraArguments: ["--cache-size", "1G"]
                ) { (m: MountedFileSystem) async throws in
                    let copy = f.directory.appendingPathComponent("copy").path
                    #expect(try await Command.run("/bin/cp", [f.path(m, 0), copy]).status == 0)
                    #expect(try await ReliabilityFixture.sha256(copy) == f.sourceHashes()[0])
                    let status = try await m.status()
                    #expect(status.cache.evictions > 0)
                    #expect(status.cache.usedBytes <= 64 << 20)
                    report(
                        "tiny cache: 256 MiB copied exactly through a 64 MiB tmpfs cache; evictions \(status.cache.evictions), "
                            + "cache holds \(status.cache.usedBytes >> 20) MiB, write failures \(status.cache.writeFailures)"
                    )
                }
            }
        }
    }

    @Test func aDiskThatFillsDuringWritesStillServesExactBytes() async throws {
        try await ReliabilityFixture.with(sizes: [48 * ReliabilityFixture.mib]) {
            (f: ReliabilityFixture) async throws in
            try await SmallFilesystem.with(megabytes: 64) { (tmpfs: String) async throws in
                let cache = tmpfs + "/cache"
                // Leave about 6 MiB free, and tell glacierfs it may use all of it.
                _ = try await Command.run(
                    "/bin/dd", ["if=/dev/zero", "of=\(tmpfs)/filler", "bs=1M", "count=58", "status=none"])
                try await MountedFileSystem.with(
                    endpoint: f.emulator.endpoint, environment: f.emulator.environment,
                    cacheDirectory: cache, extraArguments: ["--cache-min-free", "0"]
                ) { (m: MountedFileSystem) async throws in
                    #expect(try await ReliabilityFixture.sha256(f.path(m, 0)) == f.sourceHashes()[0])
                    let status = try await m.status()
                    #expect(status.cache.writeFailures + status.cache.evictions > 0, "the disk did fill")
                    report(
                        "full disk: 48 MiB read exactly with ~6 MiB of cache space; write failures "
                            + "\(status.cache.writeFailures), evictions \(status.cache.evictions)")
                }
                try FileManager.default.removeItem(atPath: tmpfs + "/filler")
                // The cache is consistent: remounted with room, everything reads back exactly.
                try await MountedFileSystem.with(
                    endpoint: f.emulator.endpoint, environment: f.emulator.environment,
                    cacheDirectory: cache
                ) { (m: MountedFileSystem) async throws in
                    #expect(try await ReliabilityFixture.sha256(f.path(m, 0)) == f.sourceHashes()[0])
                    #expect(try await m.status().cache.corruptLeavesDropped == 0)
                }
            }
        }
    }

    @Test func aSequentialReadMuchLargerThanMemoryFetchesEachByteOnce() async throws {
        let mib = ReliabilityFixture.mib
        try await ReliabilityFixture.with(sizes: [160 * mib]) { (f: ReliabilityFixture) async throws in
            let servedBefore = try await f.emulator.statistics().bytesServed
            try await f.mount(["--memory-limit", "48M"]) { (m: MountedFileSystem) async throws in
                #expect(try await ReliabilityFixture.sha256(f.path(m, 0)) == f.sourceHashes()[0])
                let status = try await m.status()
                let served = try await f.emulator.statistics().bytesServed - servedBefore
                let ratio = Double(served) / Double(160 * mib)
                #expect(ratio <= 1.05, "fetched \(served) bytes for \(160 * mib) read")
                #expect(status.memoryPeakBytes <= (48 + 16) * mib, "within the budget and the readback overdraft")
                report(
                    String(
                        format: "memory-bound sequential read: 160 MiB through 48 MiB of memory, fetched/read %.3f, "
                            + "prefetched leaves dropped unread %d", ratio, status.reads.prefetchedLeavesDroppedUnread))
            }
        }
    }

    @Test func sixtyFourReadersAtOnceStayWithinTheMemoryBudget() async throws {
        let mib = ReliabilityFixture.mib
        try await ReliabilityFixture.with(sizes: (0 ..< 8).map { 24 * mib + $0 * 4096 }) {
            (f: ReliabilityFixture) async throws in
            try await f.mount(["--memory-limit", "128M"]) { (m: MountedFileSystem) async throws in
                let expected = try await f.sourceHashes()
                var readers: [(ChildProcess, Int)] = []
                for i in 0 ..< 64 {
                    let index = i % 8
                    readers.append((try ChildProcess.start("/usr/bin/sha256sum", [f.path(m, index)]), index))
                }
                for (reader, index) in readers {
                    #expect(await reader.waitAsync(timeout: 300) == 0)
                    #expect(reader.output.hasPrefix(expected[index]))
                    try? FileManager.default.removeItem(atPath: reader.logFile)
                }
                let status = try await m.status()
                let rss = await m.daemonPeakRSS() ?? 0
                #expect(status.memoryPeakBytes <= 128 << 20 + 16 << 20, "data memory stays near the budget")
                #expect(rss < 400 << 20, "daemon peak RSS \(rss >> 20) MiB")
                report(
                    "64 readers: all exact; data memory peak \(status.memoryPeakBytes >> 20) MiB of a 128 MiB budget; "
                        + "daemon peak RSS \(rss >> 20) MiB")
            }
        }
    }
}
