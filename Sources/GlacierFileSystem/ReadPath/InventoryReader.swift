import GlacierIntegrity
import OutputCache

/// Validates an inventory before any byte of it is served. Glacier sends no checksum for
/// inventories, so the strongest check there is: download the whole output, in order, through
/// the same fetcher as archives, parse every byte of it (streaming, so any size fits the memory
/// budget), and keep each leaf in the store. The digests of those leaves then stand in for the
/// missing checksum: the root is recorded as the output's verdict, and every later fetch of a
/// leaf must hash to the digest it had when it was parsed.
struct InventoryReader: Sendable {
    let reader: OutputReader

    /// Nodes fetched side by side ahead of the parser.
    static let window = 4

    /// Whether the inventory was parsed whole before (its verdict and every digest are known).
    static func isValidated(_ store: any OutputStore, leafCount: Int) -> Bool {
        guard store.wholeOutputCheck?.result == .matched else { return false }
        let digests = store.knownDigests
        return digests.count == leafCount && !digests.contains(nil)
    }

    /// Downloads and parses the whole inventory. On success the store holds its verdict and digests.
    func validate() async -> ReadFailure? {
        let geometry = reader.geometry
        let services = reader.services
        var check = InventoryStreamCheck(format: reader.shape.inventoryFormat)
        var digests: [SHA256Digest] = []
        digests.reserveCapacity(geometry.leafCount)
        // Nodes small enough that the whole window fits the memory budget at once.
        let fitting = max(1, services.pool.budget / (Self.window * TreeHash.leafSize))
        let nodes = geometry.nodes(
            covering: 0 ..< geometry.leafCount,
            maxLeaves: min(services.linkHealth.nodeLeafCap, fitting))
        var next = 0
        while next < nodes.count {
            let batch = Array(nodes[next ..< min(nodes.count, next + Self.window)])
            next += batch.count
            let results = await withTaskGroup(of: (Int, Result<NodeFetcher.Fetched, NodeFetcher.Failure>).self) {
                group in
                for (i, node) in batch.enumerated() {
                    group.addTask { (i, await self.fetchWhole(node)) }
                }
                var ordered = [Result<NodeFetcher.Fetched, NodeFetcher.Failure>?](repeating: nil, count: batch.count)
                for await (i, r) in group { ordered[i] = r }
                return ordered.map { $0! }
            }
            for result in results {
                switch result {
                case .failure(.gone(let reason)): return .outputGone(reason)
                case .failure(.failed(let message)): return .fetchFailed("inventory download: \(message)")
                case .success(let fetched):
                    for view in fetched.views {
                        if let problem = check.feed(view.bytes) { return invalid(problem) }
                    }
                    digests += fetched.digests
                    reader.store.store(
                        from: fetched.leaves.lowerBound,
                        zip(fetched.views, fetched.digests).map {
                            (bytes: $0.bytes, record: LeafRecord(digest: $1, verifiedBytes: $0.bytes))
                        })
                }
            }
        }
        if let problem = check.finish() { return invalid(problem) }
        let root = TreeHash.root(of: digests)
        reader.store.record(WholeOutputCheck(result: .matched, computedRoot: root.hex, checkedAt: .now))
        services.logger.notice(
            "inventory parsed whole: \(check.summary)",
            metadata: ["vault": "\(reader.vault)", "job": "\(reader.jobId)"])
        return nil
    }

    private func invalid(_ problem: String) -> ReadFailure {
        let failure = ReadFailure.fetchFailed(
            "inventory of vault \(reader.vault) job \(reader.jobId) is not valid: \(problem)")
        reader.services.logger.error("\(failure.message)")
        return failure
    }

    /// Fetches one node and waits until all of its leaves arrived, in whatever pieces.
    private func fetchWhole(_ node: Range<Int>) async -> Result<NodeFetcher.Fetched, NodeFetcher.Failure> {
        let pieces = PieceCollector(node: node)
        await reader.fetcher.fetch(node, deliver: { pieces.add($0) }, fail: { pieces.fail($0, $1) })
        return pieces.result
    }
}
