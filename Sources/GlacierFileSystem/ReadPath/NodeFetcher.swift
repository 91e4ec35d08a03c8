import GlacierClient
import GlacierIntegrity
import GlacierModel

/// Fetches tree nodes of one output through the shared gates (the write backlog, the fetch limit,
/// memory), and hands on only what its source verified.
///
/// A node that fails its check, or whose connection breaks, is split into its two child nodes,
/// each a tree node with a checksum of its own, down to single leaves: on a link whose damage
/// grows with the bytes sent, large nodes are almost never clean while leaves mostly are.
/// Service refusals (throttling, 5xx) are retried at the same size after a pause.
struct NodeFetcher: Sendable {
    let vault: String
    let jobId: String
    let geometry: TreeGeometry
    let verification: OutputVerification
    let services: ReadServices

    /// A verified run of leaves: a whole node, or a piece of one after a split.
    struct Fetched: Sendable {
        let leaves: Range<Int>
        let views: [LeafView]
        let digests: [SHA256Digest]
        let contentType: String?
        let archiveDescription: String?
    }

    /// Why leaves could not be had.
    enum Failure: Error, Sendable {
        /// The service no longer has the output.
        case gone(String)
        case failed(String)
    }

    /// A leaf damaged on the way while other fetches get through is the link's fault: such
    /// failures do not count against its attempts, up to this many times the configured number.
    /// A leaf that fails while nothing gets through uses the configured attempts only.
    static let leafAttemptFactor = 3

    /// Fetches `node`, calling `deliver` for each verified piece as it arrives and `fail` for the
    /// leaves that could not be had. Returns when every leaf of the node was one or the other.
    func fetch(
        _ node: Range<Int>, deliver: @escaping @Sendable (Fetched) -> Void,
        fail: @escaping @Sendable (Range<Int>, Failure) -> Void
    ) async {
        await services.writeBacklog.waitForRoom()
        // One buffer per leaf, all of one size, so freed memory is always reused as is; a split
        // hands each child its part of them.
        let buffers = await services.pool.acquire(count: node.count, capacity: TreeHash.leafSize)
        let views = zip(node, buffers).map { LeafView(node: $1, offset: 0, length: geometry.leafLength($0)) }
        await fetch(node, views: views, deliver: deliver, fail: fail)
    }

    private func fetch(
        _ node: Range<Int>, views: [LeafView], deliver: @escaping @Sendable (Fetched) -> Void,
        fail: @escaping @Sendable (Range<Int>, Failure) -> Void
    ) async {
        let bytes = geometry.bytes(ofLeaves: node)
        let attempts = max(1, services.configuration.fetchAttempts)
        let policy = RetryPolicy(maxAttempts: attempts, baseDelaySeconds: 0.05, maxDelaySeconds: 5)
        var attempt = 0
        var counted = 0
        while true {
            attempt += 1
            let cleanBefore = services.linkHealth.cleanFetches
            await services.limiter.acquire()
            services.statistics.fetchStarted()
            let started = ContinuousClock.now
            let result: Result<VerifiedOutputRange, GlacierError>
            do {
                // One attempt per call: this loop decides between retrying and splitting.
                result = .success(
                    try await services.source.fetchNode(
                        vault: vault, jobId: jobId, range: bytes, geometry: geometry, verification: verification,
                        intoLeaves: views.map { UnsafeMutableRawBufferPointer(start: $0.node.base, count: $0.length) },
                        retry: RetryPolicy(maxAttempts: 1)))
            } catch {
                result = .failure(error)
            }
            services.statistics.fetchEnded(after: ContinuousClock.now - started)
            services.limiter.release()

            switch result {
            case .success(let checked):
                services.linkHealth.reportClean()
                services.statistics.leavesFetched.add(node.count, ordering: .relaxed)
                services.statistics.bytesFetched.add(Int(bytes.upperBound - bytes.lowerBound), ordering: .relaxed)
                let digests =
                    checked.leafDigests.count == views.count ? checked.leafDigests : views.map { SHA256.hash($0.bytes) }
                return deliver(
                    Fetched(
                        leaves: node, views: views, digests: digests, contentType: checked.contentType,
                        archiveDescription: checked.archiveDescription))
            case .failure(let error):
                services.statistics.fetchFailures.add(1, ordering: .relaxed)
                let where_ =
                    "GetJobOutput for vault \(vault) job \(jobId) bytes \(bytes.lowerBound)-\(bytes.upperBound - 1)"
                if error.isNotFound {
                    return fail(
                        node,
                        .gone(
                            "the output of job \(jobId) in vault \(vault) is no longer available from "
                                + "the service (jobs expire about 24 hours after they complete); only cached parts can be read"
                        ))
                }
                if case .interrupted(_, let received, let announced?) = error, node.count > 1,
                    verification == .treeHash, let root = SHA256Digest(hex: announced)
                {
                    let whole = geometry.leaves(covering: bytes.lowerBound ..< bytes.lowerBound + Int64(received))
                        .filter {
                            geometry.bytes(ofLeaves: $0 ..< $0 + 1).upperBound <= bytes.lowerBound + Int64(received)
                        }
                    if let last = whole.last, last + 1 < node.upperBound {
                        services.linkHealth.reportDamage()
                        return await salvage(
                            node, views: views, kept: node.lowerBound ..< last + 1, root: root,
                            deliver: deliver, fail: fail)
                    }
                }
                if Self.isDamage(error) && node.count > 1 {
                    services.linkHealth.reportDamage()
                    services.statistics.nodeSplits.add(1, ordering: .relaxed)
                    services.logger.debug(
                        "\(where_) failed; fetching its two child nodes instead",
                        metadata: ["error": "\(error)"])
                    return await split(node, views: views, deliver: deliver, fail: fail)
                }
                let linkWorks = Self.isDamage(error) && services.linkHealth.cleanFetches > cleanBefore
                if !linkWorks || attempt >= attempts * Self.leafAttemptFactor { counted += 1 }
                guard error.isRetryable, counted < attempts, !Task.isCancelled else {
                    return fail(node, .failed("\(where_) failed after \(attempt) attempt(s): \(error)"))
                }
                let throttled = error.serviceCode.map { GlacierErrorCode.throttlingCodes.contains($0) } ?? false
                try? await Task.sleep(
                    for: .seconds(policy.delay(afterAttempt: min(attempt, attempts), throttled: throttled)))
            }
        }
    }

    /// A node whose connection broke part-way: the leaves that arrived whole (`kept`) cannot be
    /// checked alone, but the response announced the node's checksum before it broke. The rest is
    /// fetched as tree nodes of its own, each verified, and the kept leaves' digests together with
    /// theirs must make the announced root; if they do not, the kept part is fetched again.
    private func salvage(
        _ node: Range<Int>, views: [LeafView], kept: Range<Int>, root: SHA256Digest,
        deliver: @escaping @Sendable (Fetched) -> Void,
        fail: @escaping @Sendable (Range<Int>, Failure) -> Void
    ) async {
        let keptViews = Array(views[0 ..< kept.count])
        let keptDigests = keptViews.map { SHA256.hash($0.bytes) }
        let rest = kept.upperBound ..< node.upperBound
        let restViews = Array(views[kept.count...])
        let collector = PieceCollector(node: rest)
        await withTaskGroup(of: Void.self) { group in
            for piece in geometry.nodes(covering: rest) {
                let part = Array(
                    restViews[(piece.lowerBound - rest.lowerBound) ..< (piece.upperBound - rest.lowerBound)])
                group.addTask {
                    await fetch(piece, views: part, deliver: { collector.add($0) }, fail: { collector.fail($1) })
                }
            }
        }
        switch collector.result {
        case .success(let fetched) where TreeHash.root(of: keptDigests + fetched.digests) == root:
            services.statistics.bytesSalvaged.add(kept.count * TreeHash.leafSize, ordering: .relaxed)
            deliver(
                Fetched(
                    leaves: node, views: views, digests: keptDigests + fetched.digests,
                    contentType: fetched.contentType, archiveDescription: fetched.archiveDescription))
        case .success(let fetched):
            deliver(fetched)
            await split(kept, views: keptViews, deliver: deliver, fail: fail)
        case .failure(let failure):
            fail(rest, failure)
            await split(kept, views: keptViews, deliver: deliver, fail: fail)
        }
    }

    /// Fetches the children of `node` side by side, each with its share of the buffers.
    private func split(
        _ node: Range<Int>, views: [LeafView], deliver: @escaping @Sendable (Fetched) -> Void,
        fail: @escaping @Sendable (Range<Int>, Failure) -> Void
    ) async {
        await withTaskGroup(of: Void.self) { group in
            for child in geometry.children(of: node) {
                let part = Array(views[(child.lowerBound - node.lowerBound) ..< (child.upperBound - node.lowerBound)])
                group.addTask { await fetch(child, views: part, deliver: deliver, fail: fail) }
            }
        }
    }

    /// Failures that say the bytes were damaged or cut short on the way, as opposed to a refusal
    /// by the service: smaller requests are likelier to get through.
    static func isDamage(_ error: GlacierError) -> Bool {
        switch error {
        case .integrity: true
        case .transport(let t), .interrupted(let t, _, _): t.isTransient
        default: false
        }
    }
}
