import Synchronization

/// Gathers the verified pieces of one node (several after a split) back into the whole node.
final class PieceCollector: Sendable {
    let node: Range<Int>
    private let state = Mutex<(pieces: [NodeFetcher.Fetched], failures: [(Range<Int>, NodeFetcher.Failure)])>(
        ([], []))

    init(node: Range<Int>) { self.node = node }

    func add(_ piece: NodeFetcher.Fetched) { state.withLock { $0.pieces.append(piece) } }

    func fail(_ leaves: Range<Int>, _ failure: NodeFetcher.Failure) {
        state.withLock { $0.failures.append((leaves, failure)) }
    }

    /// The pieces that arrived, in order, and the leaves that could not be had.
    var parts: (pieces: [NodeFetcher.Fetched], failures: [(Range<Int>, NodeFetcher.Failure)]) {
        state.withLock { ($0.pieces.sorted { $0.leaves.lowerBound < $1.leaves.lowerBound }, $0.failures) }
    }

    /// The node whole, once every piece arrived; the first failure otherwise.
    var result: Result<NodeFetcher.Fetched, NodeFetcher.Failure> {
        let (pieces, failures) = parts
        if let failure = failures.first { return .failure(failure.1) }
        guard pieces.reduce(0, { $0 + $1.leaves.count }) == node.count else {
            return .failure(.failed("leaves \(node) arrived incompletely"))
        }
        return .success(
            NodeFetcher.Fetched(
                leaves: node, views: pieces.flatMap(\.views),
                digests: pieces.flatMap(\.digests),
                contentType: pieces.first?.contentType,
                archiveDescription: pieces.first?.archiveDescription))
    }
}
