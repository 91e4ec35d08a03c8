import Foundation
import GlacierTestSupport
import Testing

/// Faults on the wire: the copy is exact, or it fails with EIO; never different bytes.
@Suite(.serialized) struct FaultTests {
    @Test(arguments: [0.05, 0.20])
    func aCopyUnderFaultsIsExact(rate: Double) async throws {
        let size = 256 * ReliabilityFixture.mib * min(ReliabilityFixture.stress, 4)
        try await ReliabilityFixture.with(sizes: [size, size]) { (f: ReliabilityFixture) async throws in
            // The rate is split over every kind the emulator injects.
            let kinds = ["flip", "truncate", "reset", "unavailable", "throttle", "wrong-checksum", "bad-content-range"]
            try await f.emulator.setFaults(
                Dictionary(uniqueKeysWithValues: kinds.map { ($0, rate / Double(kinds.count)) }),
                seed: UInt64(rate * 1000))
            try await f.mount { (m: MountedFileSystem) async throws in
                let copy = f.directory.appendingPathComponent("copy").path
                let r = try await Command.run("/bin/cp", [f.path(m, 0), copy], timeout: 600)
                #expect(r.status == 0, "at \(rate) the retries make the copy succeed: \(r.output)")
                #expect(try await ReliabilityFixture.sha256(copy) == f.sourceHashes()[0], "exact bytes")
                // Random small reads of the second output: one single-leaf request each.
                let leaves = (0 ..< (size >> 20)).shuffled().prefix(120)
                let script = """
                    import os, sys
                    fd = os.open(sys.argv[1], os.O_RDONLY)
                    src = open(sys.argv[2], "rb")
                    bad = 0
                    for leaf in map(int, sys.argv[3:]):
                        at = leaf * 1048576 + 4096 * (leaf % 200)
                        src.seek(at)
                        if os.pread(fd, 4096, at) != src.read(4096): bad += 1
                    sys.exit(1 if bad else 0)
                    """
                let random = try await Command.run(
                    "/usr/bin/env",
                    [
                        "python3", "-c", script, f.path(m, 1),
                        f.outputs[1].source.path,
                    ] + leaves.map(String.init),
                    timeout: 600)
                #expect(random.status == 0, "every random read was exact: \(random.output)")
                let injected = try await f.emulator.statistics()
                let status = try await m.status()
                let detected = status.serviceRetries + status.reads.fetchFailures
                report(
                    "faults rate=\(rate): injected \(injected.faultsTotal) \(injected.faults.filter { $0.value > 0 }), "
                        + "detected \(detected) (retries \(status.serviceRetries), failed fetches \(status.reads.fetchFailures)), "
                        + "requests \(injected.requests["GetJobOutput"] ?? 0), copy exact")
                #expect(injected.faultsTotal > 0)
                #expect(detected == injected.faultsTotal, "every injected fault was detected, and nothing else")
            }
        }
    }

    /// Damage that grows with the bytes sent: one damaged 64 KiB chunk in 30, and one reset per
    /// 6 MiB. A 16 MiB node then almost never arrives clean, while most 1 MiB leaves do: failed
    /// nodes are split down to leaves, and the copies complete exactly.
    @Test func copiesCompleteWhenDamageGrowsWithTheBytesSent() async throws {
        let size = 256 * ReliabilityFixture.mib
        try await ReliabilityFixture.with(sizes: [size, size]) { (f: ReliabilityFixture) async throws in
            try await f.emulator.setFaults([:], seed: 30, damagePer64KiB: 1.0 / 30, resetPerMiB: 1.0 / 6)
            try await f.mount { (m: MountedFileSystem) async throws in
                let started = ContinuousClock.now
                let copies = try await withThrowingTaskGroup(of: (Int, Command.Result).self) { group in
                    for i in 0 ..< 2 {
                        let copy = f.directory.appendingPathComponent("copy\(i)").path
                        group.addTask { (i, try await Command.run("/bin/cp", [f.path(m, i), copy], timeout: 900)) }
                    }
                    return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
                }
                let elapsed = ContinuousClock.now - started
                for i in 0 ..< 2 {
                    #expect(
                        copies[i]?.status == 0, "copy \(i) completes under per-byte damage: \(copies[i]?.output ?? "")")
                    let copy = f.directory.appendingPathComponent("copy\(i)").path
                    #expect(try await ReliabilityFixture.sha256(copy) == f.sourceHashes()[i], "copy \(i) is exact")
                }
                let injected = try await f.emulator.statistics()
                let status = try await m.status()
                #expect(injected.faults["flip", default: 0] > 0 && injected.faults["reset", default: 0] > 0)
                #expect(status.reads.nodeSplits > 0, "failed nodes were split")
                #expect(status.reads.bytesSalvaged > 0, "leaves that arrived whole before a reset were kept")
                let ratio = Double(status.reads.bytesFetched + status.reads.bytesSalvaged) / Double(2 * size)
                report(
                    "per-byte damage (1 chunk in 30, 1 reset per 6 MiB): 2 copies of 256 MiB exact in "
                        + "\(elapsed.components.seconds) s; \(injected.faults["flip", default: 0]) flips and "
                        + "\(injected.faults["reset", default: 0]) resets injected over \(injected.requests["GetJobOutput"] ?? 0) "
                        + "requests; \(status.reads.nodeSplits) node splits, \(status.reads.fetchFailures) failed fetches, "
                        + "\(status.reads.bytesSalvaged >> 20) MiB kept from broken transfers; "
                        + "verified bytes (fetched whole, or kept and checked by their node's root) / bytes copied \(String(format: "%.3f", ratio))"
                )
            }
        }
    }

    /// On a slow link nodes stream to the disk cache, and one reset per 8 MiB breaks most of its
    /// 16 MiB nodes part-way. The leaves that arrived whole stay staged and are checked,
    /// with the rest, against the checksum the service announced for the node: the copy is exact,
    /// and what arrived whole is not downloaded again.
    @Test func aStreamedNodeBrokenPartWayKeepsItsWholeLeaves() async throws {
        let size = 128 * ReliabilityFixture.mib
        try await ReliabilityFixture.with(sizes: [size]) { (f: ReliabilityFixture) async throws in
            try await f.emulator.setShaping(bytesPerSecondPerConnection: 40_000_000, firstByteLatencyMs: 50)
            try await f.emulator.setFaults([:], seed: 32, resetPerMiB: 1.0 / 8)
            try await f.mount { (m: MountedFileSystem) async throws in
                let before = try await f.emulator.statistics()
                let copy = f.directory.appendingPathComponent("copy").path
                let result = try await Command.run("/bin/cp", [f.path(m, 0), copy], timeout: 600)
                #expect(result.status == 0, "the copy completes: \(result.output)")
                #expect(try await ReliabilityFixture.sha256(copy) == f.sourceHashes()[0], "the copy is exact")
                let after = try await f.emulator.statistics()
                let status = try await m.status()
                let resets = after.faults["reset", default: 0] - before.faults["reset", default: 0]
                let served =
                    after.bytesByOperation["GetJobOutput", default: 0]
                    - before.bytesByOperation["GetJobOutput", default: 0]
                #expect(resets > 0, "transfers were broken")
                #expect(status.reads.nodesStreamed > 0, "nodes were streamed to the cache")
                #expect(status.reads.bytesSalvaged > 0, "leaves that arrived whole before a reset were kept")
                // Each reset wastes the leaf it cut (half a MiB on average), not the node's leaves
                // before it: without keeping them, this copy was served 1.3 times its size.
                #expect(served <= Int64(size) * 6 / 5, "\(served >> 20) MiB served for \(size >> 20) MiB")
                report(
                    "streamed nodes, 1 reset per 8 MiB: \(resets) resets, \(status.reads.nodesStreamed) nodes "
                        + "streamed, \(status.reads.bytesSalvaged >> 20) MiB kept from broken transfers, "
                        + "\(served >> 20) MiB served for a \(size >> 20) MiB copy")
            }
        }
    }
}
