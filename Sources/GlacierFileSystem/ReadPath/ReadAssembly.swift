import Synchronization

/// Collects the leaves of one read and completes it exactly once.
final class ReadAssembly: Sendable {
    private let state: Mutex<AssemblyState>
    private let first: Int
    private let completion: @Sendable (ReadOutcome) -> Void

    struct AssemblyState {
        var segments: [ByteSegment?]
        var remaining: Int
        var finished = false
    }

    init(leaves: Range<Int>, completion: @escaping @Sendable (ReadOutcome) -> Void) {
        first = leaves.lowerBound
        self.completion = completion
        state = Mutex(AssemblyState(segments: Array(repeating: nil, count: leaves.count), remaining: leaves.count))
    }

    func deliver(_ leaf: Int, _ segment: ByteSegment) {
        let done = state.withLock { s -> [ByteSegment]? in
            guard !s.finished else { return nil }
            s.segments[leaf - first] = segment
            s.remaining -= 1
            guard s.remaining == 0 else { return nil }
            s.finished = true
            return s.segments.map { $0! }
        }
        if let done { completion(.data(done)) }
    }

    func fail(_ failure: ReadFailure) {
        let first = state.withLock { s -> Bool in
            defer { s.finished = true }
            return !s.finished
        }
        if first { completion(.failure(failure)) }
    }
}
