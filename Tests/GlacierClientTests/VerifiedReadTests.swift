import Foundation
import GlacierClient
import GlacierEmulator
import GlacierIntegrity
import GlacierModel
import GlacierTestSupport
import Synchronization
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

    /// The timings a read reports are the link's: the service's wait before the first byte, and
    /// the transfer after it, each from the request's start on an open connection.
    @Test func aReadReportsTheWaitForItsFirstByteAndThenItsTransfer() async throws {
        try await withFixture { f in
            try f.emulator.server.setShaping(ShapingSettings(firstByteLatencyMs: 100))
            let (_, checked) = try await read(f, 0 ..< Int64(Self.mib))
            let first = try #require(checked.firstByteSeconds)
            let total = try #require(checked.totalSeconds)
            #expect(first >= 0.1, "the emulator waited 100 ms before the first byte: \(first) s")
            #expect(total >= first, "\(total) s in all")
        }
    }

    /// The service's round trip, for a read path that has downloaded nothing yet: the quickest
    /// wait for an answer other than job output. Downloads do not count: their waits are their
    /// reader's to judge, under the load it puts on the link.
    @Test func answersOtherThanJobOutputMeasureTheServicesRoundTrip() async throws {
        try await withFixture { f in
            try f.emulator.server.setShaping(ShapingSettings(firstByteLatencyMs: 100))
            let client = f.emulator.client()
            #expect(client.statistics.roundTripSeconds == nil, "nothing answered yet")
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.mib, alignment: 16)
            defer { buffer.deallocate() }
            _ = try await client.getJobOutput(
                vault: "v", jobId: f.jobId, range: 0 ..< Int64(Self.mib), outputSize: Int64(f.data.count),
                verification: .treeHash, into: buffer)
            #expect(client.statistics.roundTripSeconds == nil, "a download is not a round trip")
            _ = try await client.describeJob(vault: "v", jobId: f.jobId)
            let roundTrip = try #require(client.statistics.roundTripSeconds)
            #expect(roundTrip >= 0.1, "the emulator waited 100 ms: \(roundTrip) s")
            try f.emulator.server.setShaping(ShapingSettings(firstByteLatencyMs: 0))
            // Not a time limit (a loaded machine can take 100 ms over loopback): the quickest answer
            // counts, so the round trip is at most the whole of the quicker call.
            let clock = ContinuousClock()
            let quick = try await clock.measure { _ = try await client.describeJob(vault: "v", jobId: f.jobId) }
            let quickest = try #require(client.statistics.roundTripSeconds)
            let quickSeconds = Double(quick.components.seconds) + Double(quick.components.attoseconds) * 1e-18
            #expect(
                quickest <= quickSeconds, "the quickest answer counts: \(quickest) s; the call took \(quickSeconds) s")
            // And a slower one after it does not replace it.
            try f.emulator.server.setShaping(ShapingSettings(firstByteLatencyMs: 1000))
            _ = try await client.describeJob(vault: "v", jobId: f.jobId)
            #expect(client.statistics.roundTripSeconds == quickest, "the quickest, not the latest")
        }
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

    // MARK: - Streamed nodes

    /// A spill with a few buffers of its own that keeps every leaf it is given, slowly, on a
    /// queue of its own, and counts the times it had no buffer to lend.
    final class RecordingSpill: LeafSpill {
        let queue = DispatchQueue(label: "spill", attributes: .concurrent)
        let delay: Duration
        let kept = Mutex<[Int: (bytes: [UInt8], digest: SHA256Digest)]>([:])
        let refuseLeaf: Int?
        // Each buffer is lent to one leaf at a time, under `free` and `lent`.
        nonisolated(unsafe) let buffers: [UnsafeMutableRawBufferPointer]
        private let free: Mutex<[Int]>
        private let lent = Mutex<[Int: Int]>([:])
        let refusals = Mutex(0)
        /// A leaf whose keeping waits for the transfer's end (up to 5 s), and whether it came.
        let holdLeaf: Int?
        let transferEnd = DispatchSemaphore(value: 0)
        let heldUntilTransferEnded = Mutex<Bool?>(nil)

        init(buffers count: Int = 2, delay: Duration = .zero, refuseLeaf: Int? = nil, holdLeaf: Int? = nil) {
            self.delay = delay
            self.refuseLeaf = refuseLeaf
            self.holdLeaf = holdLeaf
            buffers = (0 ..< count).map { _ in
                UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 4096)
            }
            free = Mutex(Array(0 ..< count))
        }

        deinit { for b in buffers { b.deallocate() } }

        func buffer(for leaf: Int) -> UnsafeMutableRawBufferPointer? {
            guard let index = free.withLock({ $0.popLast() }) else {
                refusals.withLock { $0 += 1 }
                return nil
            }
            lent.withLock { $0[leaf] = index }
            return buffers[index]
        }

        func schedule(_ job: @escaping @Sendable () -> Void) { queue.async(execute: job) }

        func transferEnded() { transferEnd.signal() }

        func keep(leaf: Int, bytes: UnsafeRawBufferPointer, digest: SHA256Digest) -> Bool {
            if leaf == holdLeaf {
                let came = transferEnd.wait(timeout: .now() + 5) == .success
                heldUntilTransferEnded.withLock { $0 = came }
            }
            if delay > .zero { Thread.sleep(forTimeInterval: Double(delay.components.attoseconds) / 1e18) }
            defer {
                let index = lent.withLock { $0.removeValue(forKey: leaf)! }
                free.withLock { $0.append(index) }
            }
            guard leaf != refuseLeaf else { return false }
            kept.withLock { $0[leaf] = (Array(bytes), digest) }
            return true
        }
    }

    func stream(_ f: Fixture, _ range: Range<Int64>, spill: RecordingSpill) async throws -> VerifiedOutputRange {
        try await f.client.streamJobOutput(
            vault: "v", jobId: f.jobId, range: range, geometry: TreeGeometry(size: Int64(f.data.count)), to: spill)
    }

    @Test func aStreamedNodeComesThroughTwoBuffersLeafByLeafVerifiedWithItsDigests() async throws {
        try await withFixture { f in
            // Two buffers (the fewest that work) and a slow spill: the transfer must wait for them.
            let spill = RecordingSpill(buffers: 2, delay: .milliseconds(30))
            let range: Range<Int64> = 0 ..< Int64(4 * Self.mib)
            let checked = try await stream(f, range, spill: spill)
            #expect(spill.refusals.withLock { $0 } >= 1, "the transfer paused for a buffer")
            let kept = spill.kept.withLock { $0 }
            #expect(kept.keys.sorted() == [0, 1, 2, 3])
            for leaf in 0 ..< 4 {
                #expect(kept[leaf]?.bytes == Array(f.data[leaf * Self.mib ..< (leaf + 1) * Self.mib]), "leaf \(leaf)")
                #expect(kept[leaf]?.digest == checked.leafDigests[leaf])
            }
            #expect(checked.serviceTreeHash == TreeHash.root(of: checked.leafDigests))
            #expect((checked.firstByteSeconds ?? -1) >= 0 && (checked.totalSeconds ?? -1) >= checked.firstByteSeconds!)
            // The last node of the output, shorter than a leaf at its end.
            let g = TreeGeometry(size: Int64(f.data.count))
            let tail = g.bytes(ofLeaves: 6 ..< 7)
            let tailSpill = RecordingSpill()
            _ = try await stream(f, tail, spill: tailSpill)
            let tailBytes = tailSpill.kept.withLock { $0[6]?.bytes }
            #expect(tailBytes == Array(f.data[(6 * Self.mib)...]))
        }
    }

    @Test func theTransferEndsBeforeItsLastLeafIsKept() async throws {
        // The connection is given back as the last byte arrives: keeping the last leaves (a
        // hash, a disk write) must not hold it. Here keeping the last leaf waits for that call.
        try await withFixture { f in
            let spill = RecordingSpill(holdLeaf: 3)
            let checked = try await stream(f, 0 ..< Int64(4 * Self.mib), spill: spill)
            #expect(spill.heldUntilTransferEnded.withLock { $0 } == true, "the transfer's end came first")
            #expect(spill.kept.withLock { $0.keys.sorted() } == [0, 1, 2, 3])
            #expect(checked.serviceTreeHash == TreeHash.root(of: checked.leafDigests))
        }
    }

    @Test func aDamagedStreamedNodeThrowsAndSaysNothingOfItsLeavesIsGood() async throws {
        for kind in [FaultKind.flip, .wrongChecksum, .truncate, .reset] {
            try await withFixture(faults: FaultSettings(rates: [kind: 1.0], seed: 3)) { f in
                let spill = RecordingSpill()
                do {
                    _ = try await stream(f, 0 ..< Int64(4 * Self.mib), spill: spill)
                    Issue.record("\(kind): a damaged node must throw")
                } catch let error as GlacierError {
                    switch (kind, error) {
                    case (.flip, .integrity(.checksumMismatch)), (.wrongChecksum, .integrity(.checksumMismatch)),
                        (.truncate, .integrity(.lengthMismatch)), (.truncate, .transport), (.truncate, .interrupted),
                        (.reset, .transport), (.reset, .interrupted):
                        break
                    default:
                        Issue.record("\(kind) ended in an unexpected error: \(error)")
                    }
                }
                #expect(
                    f.emulator.server.statistics().requests["GetJobOutput"] == 1, "\(kind): one attempt, no retries")
            }
        }
    }

    @Test func aLeafTheSpillCannotKeepFailsTheNodeEvenThoughItsChecksumIsRight() async throws {
        try await withFixture { f in
            do {
                _ = try await stream(f, 0 ..< Int64(4 * Self.mib), spill: RecordingSpill(refuseLeaf: 2))
                Issue.record("a node with a leaf not kept must not pass")
            } catch let error as GlacierError {
                guard case .invalidConfiguration(let message) = error else {
                    Issue.record("unexpected error \(error)")
                    return
                }
                #expect(message.contains("leaf 2"))
            }
        }
    }
}
