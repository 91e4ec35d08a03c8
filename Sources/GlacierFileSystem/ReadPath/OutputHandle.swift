import Synchronization

/// One open output: the shared reader, and this handle's own access pattern, from which it
/// decides its prefetch on every read.
public final class OutputHandle: Sendable {
    let reader: OutputReader
    private let readers: OutputReaders
    /// The access pattern, and the leaves it last told the fetch limiter to expect.
    private let pattern = Mutex((pattern: AccessPattern(), expected: 0))

    init(reader: OutputReader, readers: OutputReaders) {
        self.reader = reader
        self.readers = readers
    }

    /// The output's size in bytes.
    public var size: Int64 { reader.shape.size }

    /// The output's tree hash as the engine computed and checked it, once all of it was verified.
    public var matchedRoot: String? { reader.matchedRoot }

    /// Reads `size` bytes at `offset`, calling `completion` exactly once (possibly before
    /// returning) with verified bytes or why not.
    public func read(offset: Int64, size: Int, completion: @escaping @Sendable (ReadOutcome) -> Void) {
        if let failure = reader.refusal() { return completion(.failure(failure)) }
        let plan = readers.prefetchPlan()
        let leafCount = reader.geometry.leafCount
        let (decision, expected) = pattern.withLock { s in
            let decision = s.pattern.record(
                offset: offset, size: size, leafSize: reader.leafSize, leafCount: leafCount, plan: plan)
            let ahead = s.pattern.leavesAhead(leafCount: leafCount)
            defer { s.expected = ahead }
            return (decision, ahead - s.expected)
        }
        // More expected before the prefetch starts, less after it is counted as waiting: so the
        // work left is never undercounted in between.
        let limiter = reader.services.limiter
        if expected > 0 { limiter.expect(expected) }
        if let range = decision.prefetch {
            reader.prefetch(range, maxNodeLeaves: decision.maxNodeLeaves, streamed: decision.streamed)
        }
        if expected < 0 { limiter.expect(expected) }
        if let near = decision.loadAhead { reader.loadAhead(near) }
        reader.read(offset: offset, size: size, isRandom: decision.isRandom, completion: completion)
    }

    /// The same, awaited.
    public func read(offset: Int64, size: Int) async -> ReadOutcome {
        await withCheckedContinuation { c in read(offset: offset, size: size) { c.resume(returning: $0) } }
    }

    /// Lets go of the output; its reader is dropped after the last handle.
    public func close() {
        let expected = pattern.withLock { s in
            defer { s.expected = 0 }
            return s.expected
        }
        if expected != 0 { reader.services.limiter.expect(-expected) }
        readers.release(self)
    }
}
