import Synchronization

/// What a read produces: the bytes, in pieces that stay valid until the reply is sent, or why not.
public enum ReadOutcome: Sendable {
    case data([ByteSegment])
    case failure(ReadFailure)
}

extension OutputReader {
    /// Reads `size` bytes at `offset`, calling `completion` once: at once when every leaf is at
    /// hand, or when the last one arrives. Bytes come only from verified leaves.
    func read(offset: Int64, size: Int, isRandom: Bool, completion: @escaping @Sendable (ReadOutcome) -> Void) {
        let end = min(offset + Int64(size), shape.size)
        guard offset < end else { return completion(.data([])) }
        let leaves = geometry.leaves(covering: offset ..< end)
        let leafStart = Int64(leaves.lowerBound) * Int64(leafSize)

        // A small random read of a cached leaf is checked by its blocks, not the whole leaf.
        let isSmallRandom = isRandom && leaves.count == 1 && end - offset < Int64(leafSize / 4)
        if isSmallRandom, !services.memory.contains(output: id, leaf: leaves.lowerBound),
           let segment = readBlocksFromDisk(leaf: leaves.lowerBound,
                                            range: Int(offset - leafStart) ..< Int(end - leafStart)) {
            services.statistics.bytesServed.add(segment.count, ordering: .relaxed)
            return completion(.data([segment]))
        }

        let assembly = ReadAssembly(leaves: leaves, completion: completion)
        for leaf in leaves {
            requestLeaf(leaf) { [services, leafSize, self] result in
                switch result {
                case .failure(let failure):
                    services.statistics.readsFailed.add(1, ordering: .relaxed)
                    assembly.fail(failure)
                case .success(let view):
                    let base = Int64(leaf) * Int64(leafSize)
                    let from = Int(max(offset, base) - base)
                    let to = Int(min(end, base + Int64(view.length)) - base)
                    services.statistics.bytesServed.add(to - from, ordering: .relaxed)
                    if !isRandom && to == view.length { services.memory.demote(output: id, leaf: leaf) }
                    assembly.deliver(leaf, ByteSegment(view: view, range: from ..< to))
                }
            }
        }
    }
}

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
