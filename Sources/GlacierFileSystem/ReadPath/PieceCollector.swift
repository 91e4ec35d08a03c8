import Synchronization

/// Gathers the verified pieces of one node (several after a split) back into the whole node.
final class PieceCollector: Sendable {
    let node: Range<Int>
    private let state = Mutex<(pieces: [NodeFetcher.Fetched], failure: NodeFetcher.Failure?)>(([], nil))

    init(node: Range<Int>) { self.node = node }

    func add(_ piece: NodeFetcher.Fetched) { state.withLock { $0.pieces.append(piece) } }

    func fail(_ failure: NodeFetcher.Failure) { state.withLock { $0.failure = $0.failure ?? failure } }

    /// The node whole, once every piece arrived; the first failure otherwise.
    var result: Result<NodeFetcher.Fetched, NodeFetcher.Failure> {
        state.withLock { s in
            if let failure = s.failure { return .failure(failure) }
            let pieces = s.pieces.sorted { $0.leaves.lowerBound < $1.leaves.lowerBound }
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
}
