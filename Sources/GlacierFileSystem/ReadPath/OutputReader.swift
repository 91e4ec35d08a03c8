import Foundation
import GlacierClient
import GlacierIntegrity
import Logging
import OutputCache
import Synchronization

typealias LeafResult = Result<LeafView, ReadFailure>
typealias LeafWaiter = @Sendable (LeafResult) -> Void

/// Serves the verified leaves of one output, shared by every open handle on it: it claims
/// leaves, publishes them to their waiters, and assembles reads from them.
///
/// A leaf comes from memory, else from the store (checked on the way in), else from the
/// `NodeFetcher` as part of a verified tree node. Concurrent requests for a leaf share one
/// load. Every read path passes `refusal()` first, and the leaf that completes the output's
/// digests is served only once the `RootGate` has compared their root with the job's.
final class OutputReader: Sendable {
    let id: Int
    let vault: String
    let jobId: String
    let shape: JobOutputShape
    let geometry: TreeGeometry
    let store: any OutputStore
    /// This output's writes queued for the cache writers and not yet done.
    let cacheWritesPending = Atomic<Int>(0)
    let services: ReadServices
    let fetcher: NodeFetcher
    let rootGate: RootGate?
    private let state = Mutex(ReaderState())

    struct ReaderState {
        /// Leaves being loaded or fetched, with the callers waiting for them.
        var pending: [Int: [LeafWaiter]] = [:]
        /// Set once the service no longer has the output: misses then fail at once.
        var gone: String?
        var headersRecorded = false
        var refusalLogged = false
        /// Inventories: whether the whole output was parsed (then leaves load like an archive's).
        var inventoryValidated = false
        var inventoryValidating = false
        /// Verified leaves queued for the store and not yet written. Memory may drop one before
        /// its write (it makes room for leaves further ahead), and a reader that comes for it
        /// meanwhile is served these bytes, which the write holds anyway, instead of fetching it
        /// again.
        var unwritten: [Int: LeafView] = [:]
        /// The root mismatched and the store has recorded it (and dropped what it held), in this
        /// mount or before.
        var mismatchRecorded = false
        /// The place in line of each leaf's fetch, until it ends: a reader that comes to wait on
        /// the leaf moves the fetch ahead of those no reader waits on.
        var places: [Int: FetchLimiter.Place] = [:]
    }

    init(
        id: Int, vault: String, jobId: String, shape: JobOutputShape, geometry: TreeGeometry, store: any OutputStore,
        services: ReadServices
    ) {
        self.id = id
        self.vault = vault
        self.jobId = jobId
        self.shape = shape
        self.geometry = geometry
        self.store = store
        self.services = services
        let verification: OutputVerification = shape.verification == .treeHash ? .treeHash : .sizeOnly
        fetcher = NodeFetcher(
            output: id, vault: vault, jobId: jobId, geometry: geometry, verification: verification,
            services: services)
        rootGate = shape.expectedTreeHash.map {
            RootGate(expected: $0, known: store.knownDigests, verdict: store.wholeOutputCheck)
        }
        if store.wholeOutputCheck?.result == .mismatched { state.withLock { $0.mismatchRecorded = true } }
        switch rootGate?.settle() {
        case .mismatched(let check)?:
            rootMismatched(check)
        case .matched(let check)?:
            // Every digest was kept but the verdict was not (a crash came before its record).
            recordLater(check)
        case .pending?, nil:
            break
        }
        if shape.verification == .inventory && InventoryReader.isValidated(store, leafCount: geometry.leafCount) {
            state.withLock { $0.inventoryValidated = true }
        }
    }

    var awaitsInventoryValidation: Bool {
        shape.verification == .inventory && !state.withLock { $0.inventoryValidated }
    }

    var leafSize: Int { TreeHash.leafSize }

    // MARK: - The refusal rule

    /// Why no byte of this output may be served, if so. Every read path asks this first: whole
    /// leaves, block reads, prefetch (and so readahead and mmap, which arrive as reads).
    func refusal() -> ReadFailure? {
        if case .refused(let reason) = shape.verification { return refused(reason) }
        // A mismatch is told to readers only once the store has dropped what it held, so none
        // learns of it while the cache still holds leaves of the output.
        if let check = verdict, check.result == .mismatched, state.withLock({ $0.mismatchRecorded }) {
            return refused(
                "the root of its leaves (\(check.computedRoot)) does not match the job's SHA256TreeHash, "
                    + "so its cached data was dropped; retrieve the archive again with a new job")
        }
        return nil
    }

    /// The whole-output check, from this mount's gate or, before it has one, the store's record.
    private var verdict: WholeOutputCheck? { rootGate?.verdict ?? store.wholeOutputCheck }

    /// The root of the output's leaves, once every leaf was verified and their root matched the
    /// job's checksum: what a caller that read it all may record, without hashing it again.
    var matchedRoot: String? {
        guard let check = verdict, check.result == .matched else { return nil }
        return check.computedRoot
    }

    private func refused(_ reason: String) -> ReadFailure {
        let first = state.withLock { s in
            defer { s.refusalLogged = true }
            return !s.refusalLogged
        }
        let message = "refusing to serve vault \(vault) job \(jobId): \(reason)"
        if first { services.logger.error("\(message)") }
        return .refused(message)
    }

    // MARK: - One leaf

    /// Hands leaf `leaf`'s verified bytes to `done`, at once or when they arrive.
    func requestLeaf(_ leaf: Int, done: @escaping LeafWaiter) {
        if let failure = refusal() { return done(.failure(failure)) }
        if let view = services.memory.get(output: id, leaf: leaf) {
            services.statistics.leavesFromMemory.add(1, ordering: .relaxed)
            return done(.success(view))
        }
        guard claim(leaf, done) else { return }
        // A load may have finished between the memory check and the claim.
        if let view = services.memory.get(output: id, leaf: leaf) { return publish(leaf ..< leaf + 1, [view]) }
        if awaitsInventoryValidation { return validateInventory() }
        loadStoredOrFetch(leaf)
    }

    /// Registers `done` for `leaf`; true when the caller now owns loading it.
    private func claim(_ leaf: Int, _ done: @escaping LeafWaiter) -> Bool {
        let (owns, place) = state.withLock { s -> (Bool, FetchLimiter.Place?) in
            if s.pending[leaf] != nil {
                s.pending[leaf]!.append(done)
                return (false, s.places[leaf])
            }
            s.pending[leaf] = [done]
            return (true, nil)
        }
        if let place { services.limiter.promote(place) }
        return owns
    }

    /// Starts loading every leaf of `leaves` that is neither in memory nor on its way: from the
    /// store in the background, or from the service as tree nodes of up to `maxNodeLeaves`.
    /// `streamed` nodes go to the store as they arrive, and leaves already there are left there
    /// (`loadAhead` brings them in as the reader nears them).
    func prefetch(_ leaves: Range<Int>, maxNodeLeaves: Int, streamed: Bool = false) {
        guard !leaves.isEmpty, !awaitsInventoryValidation, refusal() == nil else { return }
        let streamed = streamed && store.canStage && shape.verification == .treeHash
        var fromStore: [Int] = []
        var missing: [Int] = []
        state.withLock { s in
            for leaf in leaves where s.pending[leaf] == nil && !services.memory.contains(output: id, leaf: leaf) {
                let held = s.unwritten[leaf] != nil || store.hasLeaf(leaf)
                if held && streamed { continue }
                s.pending[leaf] = []
                if held { fromStore.append(leaf) } else { missing.append(leaf) }
            }
        }
        for leaf in fromStore {
            services.diskWorkers.run { self.loadStoredOrFetch(leaf) }
        }
        fetch(
            nodes(covering: missing, maxLeaves: min(maxNodeLeaves, services.linkHealth.nodeLeafCap)), streamed: streamed
        )
    }

    /// Tree nodes of at most `maxLeaves` covering `leaves` (ascending), one run of consecutive
    /// leaves at a time.
    private func nodes(covering leaves: [Int], maxLeaves: Int) -> [Range<Int>] {
        var nodes: [Range<Int>] = []
        var runStart: Int?
        for (i, leaf) in leaves.enumerated() {
            if runStart == nil { runStart = leaf }
            if i + 1 == leaves.count || leaves[i + 1] != leaf + 1 {
                nodes += geometry.nodes(covering: runStart! ..< leaf + 1, maxLeaves: maxLeaves)
                runStart = nil
            }
        }
        return nodes
    }

    /// Reads the leaves of `leaves` held in the store back into memory, in the background, ahead
    /// of a reader of streamed nodes. Leaves still on their way are left to their fetch.
    func loadAhead(_ leaves: Range<Int>) {
        guard !leaves.isEmpty, refusal() == nil else { return }
        let fromStore = state.withLock { s -> [Int] in
            var claimed: [Int] = []
            for leaf in leaves
            where s.pending[leaf] == nil && (s.unwritten[leaf] != nil || store.hasLeaf(leaf))
                && !services.memory.contains(output: id, leaf: leaf)
            {
                s.pending[leaf] = []
                claimed.append(leaf)
            }
            return claimed
        }
        for leaf in fromStore { services.diskWorkers.run { self.loadStoredOrFetch(leaf) } }
    }

    // MARK: - The store

    /// Publishes a claimed leaf from the store, or fetches it when it is not held or fails its
    /// check. With no memory free at once, the readback waits for a buffer like a fetch does.
    private func loadStoredOrFetch(_ leaf: Int) {
        // A reader that got past the check just before the root mismatched is refused here.
        if let failure = refusal() { return fail(leaf ..< leaf + 1, failure) }
        if let view = state.withLock({ $0.unwritten[leaf] }) {
            services.statistics.leavesFromMemory.add(1, ordering: .relaxed)
            return publish(leaf ..< leaf + 1, [view])
        }
        if store.hasLeaf(leaf) {
            guard
                let buffer = services.bufferNow(output: id, leaf: leaf) ?? services.pool.acquireNow(capacity: leafSize)
            else {
                Task.detached {
                    let buffer = await self.services.pool.acquire(capacity: self.leafSize)
                    if let view = self.readBack(leaf, into: buffer) {
                        self.publish(leaf ..< leaf + 1, [view])
                    } else {
                        self.fetch([leaf ..< leaf + 1])
                    }
                }
                return
            }
            if let view = readBack(leaf, into: buffer) { return publish(leaf ..< leaf + 1, [view]) }
        }
        fetch([leaf ..< leaf + 1])
    }

    /// Reads a stored leaf back into `buffer` and checks it; nil if it is gone or fails the check.
    func readBack(_ leaf: Int, into buffer: NodeBuffer) -> LeafView? {
        let length = geometry.leafLength(leaf)
        let target = UnsafeMutableRawBufferPointer(start: buffer.base, count: length)
        guard store.readLeaf(leaf, into: target, capacity: buffer.capacity) else { return nil }
        services.statistics.leavesFromDisk.add(1, ordering: .relaxed)
        return LeafView(node: buffer, offset: 0, length: length)
    }

    /// A small read inside one stored leaf, checked by its 64 KiB blocks instead of the whole
    /// leaf's hash. Nil when the leaf is not stored (or fails), so the caller takes the full path.
    func readBlocksFromStore(leaf: Int, range: Range<Int>) -> ByteSegment? {
        guard store.hasLeaf(leaf) else { return nil }
        let blockSpan = (range.upperBound - 1) / LeafRecord.blockSize - range.lowerBound / LeafRecord.blockSize + 1
        let scratch = NodeBuffer.unpooled(capacity: blockSpan * LeafRecord.blockSize)
        guard let start = store.readBlocks(leaf: leaf, range: range, scratch: scratch.mutableBytes) else { return nil }
        services.statistics.blockReadsFromDisk.add(1, ordering: .relaxed)
        return ByteSegment(
            view: LeafView(node: scratch, offset: 0, length: scratch.capacity),
            range: start ..< start + range.count)
    }

    // MARK: - The network

    func fetch(_ nodes: [Range<Int>], streamed: Bool = false) {
        guard !nodes.isEmpty else { return }
        if let gone = state.withLock({ $0.gone }) {
            for node in nodes { fail(node, .outputGone(gone)) }
            return
        }
        for node in nodes {
            // Taken here, in the nodes' order, so they start in that order; urgent when a reader
            // already waits on one of its leaves.
            let place = state.withLock { s in
                let place = services.limiter.takePlace(
                    urgent: node.contains { !(s.pending[$0]?.isEmpty ?? true) }, leaves: node.count)
                for leaf in node { s.places[leaf] = place }
                return place
            }
            Task.detached {
                let deliver: @Sendable (NodeFetcher.Fetched) -> Void = { self.accept($0) }
                let fail: @Sendable (Range<Int>, NodeFetcher.Failure) -> Void = { self.fetchFailed($0, $1) }
                await FetchLimiter.$place.withValue(place) {
                    if streamed {
                        await self.fetcher.fetchStreamed(node, into: self.store, deliver: deliver, fail: fail)
                    } else {
                        await self.fetcher.fetch(node, deliver: deliver, fail: fail)
                    }
                }
                self.services.limiter.forget(place)
                self.state.withLock { s in
                    for leaf in node where s.places[leaf] === place { s.places[leaf] = nil }
                }
            }
        }
    }

    /// Takes a verified piece from the fetcher: through the root gate, to the waiters, then to
    /// the store.
    private func accept(_ fetched: NodeFetcher.Fetched) {
        recordResponseHeaders(fetched)
        if fetched.staged { return acceptStaged(fetched) }
        let leaves = fetched.leaves
        if shape.verification == .inventory {
            // No checksum exists: the leaf must hash as it did when the whole inventory was parsed.
            let known = store.knownDigests
            if zip(leaves, fetched.digests).contains(where: { known[$0] != $1 }) {
                let message =
                    "inventory of vault \(vault) job \(jobId): leaves \(leaves) came back different from "
                    + "the bytes that were parsed"
                services.logger.error("\(message)")
                return fail(leaves, .fetchFailed(message))
            }
        }
        var matched: WholeOutputCheck?
        guard passRootGate(leaves, fetched.digests, matched: &matched) else { return }
        // The block CRCs the cache will check these bytes by are taken now, from the bytes just
        // verified, not when the write runs: bytes changed in between would fail them. (Records,
        // not the bytes' pointers, cross into the write: the views keep the buffers alive.)
        let records = zip(fetched.views, fetched.digests).map { LeafRecord(digest: $1, verifiedBytes: $0.bytes) }
        // Queued before the bytes are published, so whoever has read them all finds every write
        // counted (a hand-over waits for them).
        state.withLock { s in
            for (leaf, view) in zip(leaves, fetched.views) { s.unwritten[leaf] = view }
        }
        queueCacheWrite(leaves) { [matched] in
            self.store.store(
                from: leaves.lowerBound, zip(fetched.views, records).map { (bytes: $0.bytes, record: $1) })
            if let matched { self.recordIfStillMatched(matched) }
            self.state.withLock { s in
                // Only its own: the leaf may have been fetched again, and queued again, meanwhile.
                for (leaf, view) in zip(leaves, fetched.views) where s.unwritten[leaf]?.node === view.node {
                    s.unwritten[leaf] = nil
                }
            }
        }
        publish(leaves, fetched.views)
    }

    /// Passes a verified piece's digests through the root gate. False, with the piece's waiters
    /// failed, when they completed a root that does not match; `matched` is the verdict when they
    /// completed one that does.
    private func passRootGate(
        _ leaves: Range<Int>, _ digests: [SHA256Digest], matched: inout WholeOutputCheck?
    )
        -> Bool
    {
        guard let rootGate else { return true }
        switch rootGate.record(from: leaves.lowerBound, digests) {
        case .pending:
            return true
        case .matched(let check):
            services.logger.info(
                "output verified whole: the root of all leaves matches the job's SHA256TreeHash",
                metadata: ["vault": "\(vault)", "job": "\(jobId)"])
            matched = check
            return true
        case .mismatched(let check):
            // The store forgets the output, staged leaves included.
            rootMismatched(check)
            fail(leaves, refusal() ?? .refused("root mismatch"))
            return false
        }
    }

    /// A streamed node, verified and staged in the store: through the root gate, committed, then
    /// published: the leaves still in memory as they are, the others read back for the callers
    /// waiting on them, or left on disk until the reader nears them (`loadAhead`).
    private func acceptStaged(_ fetched: NodeFetcher.Fetched) {
        let leaves = fetched.leaves
        var matched: WholeOutputCheck?
        guard passRootGate(leaves, fetched.digests, matched: &matched) else { return store.abandonStaged(leaves) }
        let committed = store.commitStaged(leaves)
        // Recorded by the cache writers, as for a node fetched into memory: the record is an
        // fsync, and on a busy disk it held the last node's leaves from their reader for a second.
        if let matched { recordLater(matched) }
        for (leaf, view) in fetched.held.sorted(by: { $0.key < $1.key }) { publish(leaf ..< leaf + 1, [view]) }
        guard committed else {
            // The disk would not keep them: the leaves not in memory are fetched again, into memory.
            services.logger.warning(
                "could not keep a streamed node in the cache; fetching its leaves not in memory again",
                metadata: ["vault": "\(vault)", "job": "\(jobId)", "leaves": "\(leaves)"])
            let missing = leaves.filter { fetched.held[$0] == nil }
            return fetch(nodes(covering: missing, maxLeaves: services.linkHealth.nodeLeafCap))
        }
        let waited = state.withLock { s -> [Int] in
            var waited: [Int] = []
            for leaf in leaves where fetched.held[leaf] == nil {
                if s.pending[leaf]?.isEmpty ?? true {
                    s.pending[leaf] = nil
                } else {
                    waited.append(leaf)
                }
            }
            return waited
        }
        for leaf in waited { services.diskWorkers.run { self.loadStoredOrFetch(leaf) } }
    }

    /// Gives a match to the cache writers to record: a hand-over waits for it, and unmount drains it.
    private func recordLater(_ matched: WholeOutputCheck) {
        queueCacheWrite(0 ..< 0) { self.recordIfStillMatched(matched) }
    }

    /// Records a match the cache writers were given, unless the gate's verdict changed since
    /// (leaves came back with other digests): the store keeps a mismatch in any case.
    private func recordIfStillMatched(_ matched: WholeOutputCheck) {
        guard rootGate?.verdict == matched else { return }
        store.record(matched)
    }

    private func queueCacheWrite(_ leaves: Range<Int>, _ job: @escaping @Sendable () -> Void) {
        cacheWritesPending.add(1, ordering: .relaxed)
        services.writeToCache(bytes: byteCount(leaves)) {
            job()
            self.cacheWritesPending.subtract(1, ordering: .releasing)
        }
    }

    private func byteCount(_ leaves: Range<Int>) -> Int {
        let r = geometry.bytes(ofLeaves: leaves)
        return Int(r.upperBound - r.lowerBound)
    }

    /// The root does not match: nothing more of this output is served, and the store forgets
    /// it (keeping the verdict, so later mounts refuse it too).
    private func rootMismatched(_ check: WholeOutputCheck) {
        services.logger.error(
            "the root of all verified leaves does not match the job's SHA256TreeHash; dropping the cached output and refusing reads",
            metadata: ["vault": "\(vault)", "job": "\(jobId)", "computed": "\(check.computedRoot)"])
        services.memory.drop(output: id)
        // At once, not behind the cache writers: the verdict must be on record before any reader
        // learns of the failure.
        store.record(check)
        let waiting = state.withLock { s in
            s.mismatchRecorded = true
            return s.pending.keys.sorted()
        }
        for leaf in waiting { fail(leaf ..< leaf + 1, refusal() ?? .refused("root mismatch")) }
    }

    private func fetchFailed(_ leaves: Range<Int>, _ failure: NodeFetcher.Failure) {
        switch failure {
        case .gone(let reason):
            state.withLock { $0.gone = reason }
            services.logger.error("\(reason)")
            fail(leaves, .outputGone(reason))
        case .failed(let message):
            services.logger.error("\(message)")
            fail(leaves, .fetchFailed(message))
        }
    }

    /// Keeps what only GetJobOutput's headers tell (the archive's description and content type).
    /// Written to disk with the other metadata later: never an fsync on the read path.
    private func recordResponseHeaders(_ fetched: NodeFetcher.Fetched) {
        let first = state.withLock { s in
            defer { s.headersRecorded = true }
            return !s.headersRecorded
        }
        guard first else { return }
        store.recordResponseHeaders(contentType: fetched.contentType, archiveDescription: fetched.archiveDescription)
    }

    /// Waits for one leaf.
    func leaf(_ leaf: Int) async -> LeafResult {
        await withCheckedContinuation { continuation in
            requestLeaf(leaf) { continuation.resume(returning: $0) }
        }
    }

    // MARK: - Inventories

    /// Inventories carry no checksum: before any leaf is served, the whole output is downloaded
    /// and parsed (`InventoryReader`); the leaves claimed meanwhile then load as usual.
    private func validateInventory() {
        let first = state.withLock { s in
            defer { s.inventoryValidating = true }
            return !s.inventoryValidating
        }
        guard first else { return }
        Task.detached {
            let failure = await InventoryReader(reader: self).validate()
            let claimed = self.state.withLock { s -> [Int] in
                s.inventoryValidating = false
                s.inventoryValidated = failure == nil
                return s.pending.keys.sorted()
            }
            for leaf in claimed {
                if let failure { self.fail(leaf ..< leaf + 1, failure) } else { self.loadStoredOrFetch(leaf) }
            }
        }
    }

    // MARK: - Completion

    func publish(_ leaves: Range<Int>, _ views: [LeafView]) {
        for (leaf, view) in zip(leaves, views) {
            // Into memory before the claim is dropped: `requestLeaf` looks there after a missed claim.
            let waiters = state.withLock { s in
                services.memory.insert(output: id, leaf: leaf, view: view, unread: s.pending[leaf]?.isEmpty ?? true)
                return s.pending.removeValue(forKey: leaf) ?? []
            }
            for w in waiters { w(.success(view)) }
        }
    }

    func fail(_ leaves: Range<Int>, _ failure: ReadFailure) {
        let waiters = state.withLock { s in leaves.flatMap { s.pending.removeValue(forKey: $0) ?? [] } }
        if !waiters.isEmpty { services.statistics.readsFailed.add(waiters.count, ordering: .relaxed) }
        for w in waiters { w(.failure(failure)) }
    }
}
