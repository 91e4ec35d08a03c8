import Foundation
import GlacierClient
import GlacierEmulator
import GlacierIntegrity
import GlacierModel
import GlacierTestSupport
import Testing

/// Ranged GetJobOutput: every check before a byte is returned, and what happens when one fails.
@Suite(.serialized) struct VerifiedReadTests {
    static let mib = 1 << 20

    struct Fixture {
        let emulator: EmulatorHarness
        let client: GlacierClient
        let data: [UInt8]
        let jobId: String
        let dir: URL
    }

    /// Runs `body` with a 6.5 MiB archive retrieved whole, then the given faults switched on.
    func withFixture(
        faults: FaultSettings = .none, attempts: Int = 8, _ body: (Fixture) async throws -> Void
    ) async throws {
        try await EmulatorHarness.with { emulator in
            try await TempDirectory.with("verified-read") { dir in
                let client = emulator.client(
                    retry: RetryPolicy(
                        maxAttempts: attempts, baseDelaySeconds: 0.001,
                        maxDelaySeconds: 0.01))
                let file = try Seed.randomFile(size: 6 * Self.mib + Self.mib / 2, in: dir)
                let (_, jobId) = try await Seed.archiveJob(client, vault: "v", file: file)
                try emulator.server.setFaults(faults)
                try await body(
                    Fixture(
                        emulator: emulator, client: client, data: Array(try Data(contentsOf: file)),
                        jobId: jobId, dir: dir))
            }
        }
    }

    func read(
        _ f: Fixture, _ range: Range<Int64>, verification: OutputVerification = .treeHash,
        retry: RetryPolicy? = nil
    ) async throws -> ([UInt8], VerifiedOutputRange) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: range.count, alignment: 16)
        defer { buffer.deallocate() }
        let checked = try await f.client.getJobOutput(
            vault: "v", jobId: f.jobId, range: range,
            outputSize: Int64(f.data.count), verification: verification,
            into: buffer, retry: retry)
        return (Array(buffer), checked)
    }

    @Test func everyTreeNodeRangeComesBackVerifiedWithItsLeafDigests() async throws {
        try await withFixture { f in
            let g = TreeGeometry(size: Int64(f.data.count))
            var checkedNodes = 0
            for start in 0 ..< g.leafCount {
                for end in (start + 1) ... g.leafCount where g.isNode(start ..< end) {
                    let range = g.bytes(ofLeaves: start ..< end)
                    let (bytes, checked) = try await read(f, range)
                    #expect(bytes == Array(f.data[Int(range.lowerBound) ..< Int(range.upperBound)]))
                    #expect(checked.leafDigests.count == end - start)
                    #expect(checked.totalSize == Int64(f.data.count))
                    checkedNodes += 1
                }
            }
            #expect(checkedNodes == 13)
        }
    }

    @Test func corruptedTruncatedAndResetResponsesAreRetriedAndNeverReturned() async throws {
        let rates: [FaultKind: Double] = [
            .flip: 0.15, .truncate: 0.1, .reset: 0.1, .wrongChecksum: 0.1,
            .badContentRange: 0.1, .unavailable: 0.05, .throttle: 0.05,
        ]
        try await withFixture(faults: FaultSettings(rates: rates, seed: 7), attempts: 12) { f in
            let g = TreeGeometry(size: Int64(f.data.count))
            for round in 0 ..< 12 {
                for node in g.nodes(covering: 0 ..< g.leafCount, maxLeaves: round % 2 == 0 ? 1 : 4) {
                    let range = g.bytes(ofLeaves: node)
                    let (bytes, _) = try await read(f, range)
                    #expect(
                        bytes == Array(f.data[Int(range.lowerBound) ..< Int(range.upperBound)]),
                        "round \(round) \(node)")
                }
            }
            let injected = f.emulator.server.faultCounters()
            #expect(injected.total > 20, "faults were injected: \(injected)")
            #expect(f.client.statistics.retryCount >= injected.total, "every injected fault was caught and retried")
        }
    }

    @Test func aFaultThatNeverStopsEndsInATypedErrorNotInBytes() async throws {
        for kind in [FaultKind.flip, .truncate, .wrongChecksum, .badContentRange, .reset] {
            try await withFixture(faults: FaultSettings(rates: [kind: 1.0], seed: 1), attempts: 3) { f in
                do {
                    _ = try await read(f, 0 ..< Int64(2 * Self.mib))
                    Issue.record("\(kind) on every attempt must fail the read")
                } catch let error as GlacierError {
                    switch (kind, error) {
                    case (.flip, .integrity(.checksumMismatch)), (.wrongChecksum, .integrity(.checksumMismatch)),
                        (.badContentRange, .integrity(.contentRangeMismatch)), (.truncate, .transport(.connectionLost)),
                        (.truncate, .integrity(.lengthMismatch)), (.reset, .transport(.connectionLost)),
                        // Cut part-way through the body: with the bytes that arrived, so a caller can keep them.
                        (.truncate, .interrupted(.connectionLost, _, _)), (.reset, .interrupted(.connectionLost, _, _)):
                        break
                    default:
                        Issue.record("\(kind) ended in an unexpected error: \(error)")
                    }
                }
                #expect(
                    f.emulator.server.statistics().requests["GetJobOutput"] == 3,
                    "\(kind): exactly the configured attempts")
            }
        }
    }

    @Test func aMissingChecksumIsAFailureForArchiveOutput() async throws {
        try await withFixture { f in
            // The service answers a well-formed 206 of the right length, but without a checksum.
            try f.emulator.server.addResponseOverride(
                ResponseOverride(
                    status: 206,
                    headers: [
                        "Content-Range": "bytes 0-\(Self.mib - 1)/\(f.data.count)",
                        "Content-Type": "application/octet-stream",
                    ],
                    body: String(repeating: "x", count: Self.mib), count: 100), for: "GetJobOutput")
            do {
                _ = try await read(
                    f, 0 ..< Int64(Self.mib), retry: RetryPolicy(maxAttempts: 2, baseDelaySeconds: 0.001))
                Issue.record("no checksum must not pass")
            } catch let error as GlacierError {
                #expect(error == .integrity(.checksumMissing(range: "0-\(Self.mib - 1)")))
            }
            #expect(f.emulator.server.statistics().requests["GetJobOutput"] == 2, "an integrity failure is retried")
        }
    }

    @Test func unalignedRangesCannotAskForTreeHashVerification() async throws {
        try await withFixture { f in
            await #expect(throws: GlacierError.self) {
                _ = try await read(f, Int64(3 * Self.mib) ..< Int64(5 * Self.mib))
            }
            #expect(f.emulator.server.statistics().requests["GetJobOutput"] == nil, "refused before any request")
            let (bytes, checked) = try await read(
                f, Int64(3 * Self.mib) ..< Int64(5 * Self.mib), verification: .sizeOnly)
            #expect(bytes == Array(f.data[(3 * Self.mib) ..< (5 * Self.mib)]))
            #expect(checked.serviceTreeHash == nil, "the service sends no checksum for an unaligned range")
        }
    }
}
