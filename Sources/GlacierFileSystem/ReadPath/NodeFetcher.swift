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
    /// The output's reader id (see `SpillRegistry`).
    let output: Int
    let vault: String
    let jobId: String
    let geometry: TreeGeometry
    let verification: OutputVerification
    let services: ReadServices

    /// A verified run of leaves: a whole node, or a piece of one after a split.
    struct Fetched: Sendable {
        let leaves: Range<Int>
        /// The bytes in memory, one per leaf; empty when they were staged in the store instead.
        let views: [LeafView]
        let digests: [SHA256Digest]
        let contentType: String?
        let archiveDescription: String?
        /// Streamed: the leaves wait, staged, for the reader to commit them to the store, and
        /// these of them are still in memory too.
        var staged = false
        var held: [Int: LeafView] = [:]
    }

    /// Where a node's bytes land.
    enum Landing {
        /// In memory, one buffer per leaf: the node is held whole until its check.
        case memory([LeafView])
        /// Staged in the store leaf by leaf as they arrive (see `StoreSpill`): for nodes too large
        /// to hold whole on a slow link.
        case store(any OutputStore)

        /// Where `leaves`, a run within `node`, land: their share of the buffers, or the same store.
        func part(_ leaves: Range<Int>, of node: Range<Int>) -> Landing {
            guard case .memory(let views) = self else { return self }
            let first = leaves.lowerBound - node.lowerBound
            return .memory(Array(views[first ..< first + leaves.count]))
        }

        /// The buffers, one per leaf; none for a store.
        var views: [LeafView] {
            guard case .memory(let views) = self else { return [] }
            return views
        }
    }

    /// A streamed node's own buffers, for when memory is spent: one filling while the last is
    /// hashed and written.
    static let streamBuffers = 2

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

    /// Nodes finish in waves, and at the end of the work the last wave is ragged: a large node
    /// keeps one connection busy while the others fall idle. So a node that starts with little
    /// work left besides it (`FetchLimiter.acquire`) is cut to each connection's share of that
    /// work, down to `tailFloorLeaves`. Its other parts go back in line at its place, each a tree
    /// node with a checksum of its own.
    static let tailFloorLeaves = 2

    /// The leaves at the head of `node` to fetch now when it should be cut; nil to fetch it whole.
    /// A cut is worth it only when the node, whole, would end later than the connections' share
    /// of the work by more than the request it adds costs them: one wait for a first byte
    /// (`latencyLeaves`, in leaves a connection could carry meanwhile), spread over them all.
    /// Without that test a node a hair over the share was halved, and a cold copy's whole last
    /// wave went in twice as many requests.
    static func tailCut(_ node: Range<Int>, workLeftLeaves: Int, connections: Int, latencyLeaves: Double = 0) -> Int? {
        let connections = Double(max(1, connections))
        let share = Double(workLeftLeaves + node.count) / connections
        guard Double(node.count) > share + latencyLeaves / connections else { return nil }
        let cap = max(tailFloorLeaves, TreeGeometry.previousPowerOfTwo(max(1, Int(share))))
        return cap < node.count ? cap : nil
    }

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
        await fetch(node, into: .memory(views), deliver: deliver, fail: fail)
    }

    /// Fetches `node` streamed into `store` (see `Landing.store`). Delivers staged pieces, which
    /// the caller commits or abandons; a node the store cannot take is fetched into memory.
    func fetchStreamed(
        _ node: Range<Int>, into store: any OutputStore, deliver: @escaping @Sendable (Fetched) -> Void,
        fail: @escaping @Sendable (Range<Int>, Failure) -> Void
    ) async {
        await fetch(node, into: .store(store), deliver: deliver, fail: fail)
    }

    private func fetch(
        _ node: Range<Int>, into landing: Landing, deliver: @escaping @Sendable (Fetched) -> Void,
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
            let grant = await services.limiter.acquire(leaves: node.count)
            if attempt == 1, let place = FetchLimiter.place,
                let cut = Self.tailCut(
                    node, workLeftLeaves: grant.workLeft, connections: services.configuration.maxParallelFetches,
                    latencyLeaves: grant.link?.latencyLeaves ?? 0)
            {
                services.limiter.putBack(grant, at: place)
                services.statistics.tailCuts.add(1, ordering: .relaxed)
                let head = node.lowerBound ..< node.lowerBound + cut
                return await fetch(
                    [head] + geometry.nodes(covering: head.upperBound ..< node.upperBound), of: node, into: landing,
                    deliver: deliver, fail: fail)
            }
            let connection = ConnectionUse(grant, of: services.limiter, statistics: services.statistics)
            let result: Result<VerifiedOutputRange, GlacierError>
            var spill: StoreSpill?
            // One attempt per call: this loop decides between retrying and splitting.
            switch landing {
            case .memory(let views):
                do {
                    result = .success(
                        try await services.source.fetchNode(
                            vault: vault, jobId: jobId, range: bytes, geometry: geometry, verification: verification,
                            intoLeaves: views.map {
                                UnsafeMutableRawBufferPointer(start: $0.node.base, count: $0.length)
                            },
                            retry: RetryPolicy(maxAttempts: 1)))
                } catch {
                    result = .failure(error)
                }
            case .store(let store):
                // Taken with the connection, not before: a node waiting for one holds no memory.
                let own = await services.pool.acquire(
                    count: min(node.count, Self.streamBuffers), capacity: TreeHash.leafSize)
                let into = StoreSpill(
                    store: store, output: output, node: node, geometry: geometry, services: services, own: own,
                    // The connection is free once the last byte is in: the next fetch need not
                    // wait for this node's last leaves to be hashed and staged.
                    onTransferEnd: connection.end)
                spill = into
                do {
                    result = .success(
                        try await services.source.streamNode(
                            vault: vault, jobId: jobId, range: bytes, geometry: geometry, to: into))
                } catch {
                    result = .failure(error)
                }
            }
            connection.end()

            switch result {
            case .success(let checked):
                services.linkHealth.reportClean()
                services.linkSpeed.record(
                    checked, bytes: Int(bytes.upperBound - bytes.lowerBound), othersInFlight: grant.othersInFlight)
                services.statistics.leavesFetched.add(node.count, ordering: .relaxed)
                services.statistics.bytesFetched.add(Int(bytes.upperBound - bytes.lowerBound), ordering: .relaxed)
                guard case .memory(let views) = landing else {
                    services.statistics.nodesStreamed.add(1, ordering: .relaxed)
                    let held = spill?.takeHeld() ?? [:]
                    return deliver(
                        Fetched(
                            leaves: node, views: [], digests: checked.leafDigests, contentType: checked.contentType,
                            archiveDescription: checked.archiveDescription, staged: true, held: held))
                }
                let digests =
                    checked.leafDigests.count == views.count ? checked.leafDigests : views.map { SHA256.hash($0.bytes) }
                return deliver(
                    Fetched(
                        leaves: node, views: views, digests: digests, contentType: checked.contentType,
                        archiveDescription: checked.archiveDescription))
            case .failure(let error):
                services.statistics.fetchFailures.add(1, ordering: .relaxed)
                if let spill {
                    if !spill.failed, case .interrupted(_, _, let announced?) = error, node.count > 1,
                        verification == .treeHash, let root = SHA256Digest(hex: announced)
                    {
                        let run = spill.stagedRun(from: node.lowerBound)
                        if !run.leaves.isEmpty && run.leaves.upperBound < node.upperBound {
                            // The kept leaves wait on disk, not in memory: the rest may take a while.
                            spill.store.abandonStaged(run.leaves.upperBound ..< node.upperBound)
                            spill.discard()
                            services.linkHealth.reportDamage()
                            return await salvage(
                                node, kept: run.leaves, digests: run.digests, root: root, into: .store(spill.store),
                                deliver: deliver, fail: fail)
                        }
                    }
                    spill.store.abandonStaged(node)
                    spill.discard()
                    if spill.failed {
                        // The disk would not take the leaves (full, or failing): into memory instead.
                        services.logger.warning(
                            "could not stage a streamed node in the cache; fetching it into memory",
                            metadata: ["vault": "\(vault)", "job": "\(jobId)"])
                        return await fetch(node, deliver: deliver, fail: fail)
                    }
                }
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
                if case .memory(let views) = landing, case .interrupted(_, let received, let announced?) = error,
                    node.count > 1, verification == .treeHash, let root = SHA256Digest(hex: announced)
                {
                    let whole = geometry.leaves(covering: bytes.lowerBound ..< bytes.lowerBound + Int64(received))
                        .filter {
                            geometry.bytes(ofLeaves: $0 ..< $0 + 1).upperBound <= bytes.lowerBound + Int64(received)
                        }
                    if let last = whole.last, last + 1 < node.upperBound {
                        services.linkHealth.reportDamage()
                        let kept = node.lowerBound ..< last + 1
                        return await salvage(
                            node, kept: kept, digests: views[0 ..< kept.count].map { SHA256.hash($0.bytes) },
                            root: root, into: landing, deliver: deliver, fail: fail)
                    }
                }
                if Self.isDamage(error) && node.count > 1 {
                    services.linkHealth.reportDamage()
                    services.statistics.nodeSplits.add(1, ordering: .relaxed)
                    services.logger.debug(
                        "\(where_) failed; fetching its two child nodes instead",
                        metadata: ["error": "\(error)"])
                    return await split(node, into: landing, deliver: deliver, fail: fail)
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

    /// A node whose connection broke part-way: the leaves that arrived whole (`kept`, with their
    /// `digests`) cannot be checked alone, but the response announced the node's checksum before
    /// it broke. They wait where they landed (in memory, or staged on disk) while the rest is
    /// fetched as tree nodes of its own, each verified. Only if the kept leaves' digests and the
    /// rest's make the announced root is the kept part delivered. Otherwise the rest's verified
    /// pieces are delivered, only the leaves that failed fail, and the kept part is dropped and
    /// fetched again (or fails too, if the output is gone).
    private func salvage(
        _ node: Range<Int>, kept: Range<Int>, digests: [SHA256Digest], root: SHA256Digest, into landing: Landing,
        deliver: @escaping @Sendable (Fetched) -> Void, fail: @escaping @Sendable (Range<Int>, Failure) -> Void
    ) async {
        let rest = kept.upperBound ..< node.upperBound
        let collector = PieceCollector(node: rest)
        await fetch(
            geometry.nodes(covering: rest), of: rest, into: landing.part(rest, of: node),
            deliver: { collector.add($0) }, fail: { collector.fail($0, $1) })
        let (pieces, failures) = collector.parts
        let keptLanding = landing.part(kept, of: node)
        if failures.isEmpty, TreeHash.root(of: digests + pieces.flatMap(\.digests)) == root {
            services.statistics.bytesSalvaged.add(kept.count * TreeHash.leafSize, ordering: .relaxed)
            var keptPart = Fetched(
                leaves: kept, views: keptLanding.views, digests: digests, contentType: pieces.first?.contentType,
                archiveDescription: pieces.first?.archiveDescription)
            if case .store = landing { keptPart.staged = true }
            deliver(keptPart)
            pieces.forEach(deliver)
            return
        }
        if case .store(let store) = landing { store.abandonStaged(kept) }
        pieces.forEach(deliver)
        for (leaves, failure) in failures { fail(leaves, failure) }
        if let gone = failures.first(where: { if case .gone = $0.1 { true } else { false } }) {
            return fail(kept, gone.1)
        }
        await split(kept, into: keptLanding, deliver: deliver, fail: fail)
    }

    /// Fetches the children of `node` side by side.
    private func split(
        _ node: Range<Int>, into landing: Landing, deliver: @escaping @Sendable (Fetched) -> Void,
        fail: @escaping @Sendable (Range<Int>, Failure) -> Void
    ) async {
        await fetch(geometry.children(of: node), of: node, into: landing, deliver: deliver, fail: fail)
    }

    /// Fetches `parts`, tree nodes that make up `node`, side by side, each with its share of the
    /// buffers (or streamed, as the node was).
    private func fetch(
        _ parts: [Range<Int>], of node: Range<Int>, into landing: Landing,
        deliver: @escaping @Sendable (Fetched) -> Void, fail: @escaping @Sendable (Range<Int>, Failure) -> Void
    ) async {
        await withTaskGroup(of: Void.self) { group in
            for child in parts {
                let part = landing.part(child, of: node)
                group.addTask { await fetch(child, into: part, deliver: deliver, fail: fail) }
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
