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
            try await f.emulator.setFaults(Dictionary(uniqueKeysWithValues: kinds.map { ($0, rate / Double(kinds.count)) }),
                                           seed: UInt64(rate * 1000))
            try await f.mount { (m: MountedFileSystem) async throws in
                let copy = f.directory.appendingPathComponent("copy").path
                let r = try await Command.run("/bin/cp", [f.path(m, 0), copy], timeout: 600)
                #expect(r.status == 0, "at \(rate) the retries make the copy succeed: \(r.output)")
                #expect(try await ReliabilityFixture.sha256(copy) == f.sourceHashes()[0], "exact bytes")
                // Random small reads of the second output: one single-leaf request each.
                let leaves = (0..<(size >> 20)).shuffled().prefix(120)
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
                let random = try await Command.run("/usr/bin/env", ["python3", "-c", script, f.path(m, 1),
                                                                    f.outputs[1].source.path] + leaves.map(String.init),
                                                   timeout: 600)
                #expect(random.status == 0, "every random read was exact: \(random.output)")
                let injected = try await f.emulator.statistics()
                let status = try await m.status()
                let detected = status.serviceRetries + status.reads.fetchFailures
                report("faults rate=\(rate): injected \(injected.faultsTotal) \(injected.faults.filter { $0.value > 0 }), "
                       + "detected \(detected) (retries \(status.serviceRetries), failed fetches \(status.reads.fetchFailures)), "
                       + "requests \(injected.requests["GetJobOutput"] ?? 0), copy exact")
                #expect(injected.faultsTotal > 0)
                #expect(detected == injected.faultsTotal, "every injected fault was detected, and nothing else")
            }
        }
    }
}
