import Foundation
import GlacierClient
import GlacierIntegrity
import Logging
import OutputCache
import Synchronization

typealias LeafResult = Result<LeafView, ReadFailure>
typealias LeafWaiter = @Sendable (LeafResult) -> Void

/// Serves the verified leaves of one output, shared by every open handle on it.
///
/// A leaf comes from memory, else from the disk cache (checked on the way in), else from the
/// service as part of a tree-node request that is verified as a whole before any of its leaves
/// is published. Concurrent requests for a leaf share one fetch.
final class OutputReader: Sendable {
    let id: Int
    let vault: String
    let jobId: String
    let shape: JobOutputShape
    let geometry: TreeGeometry
    let entry: CachedOutput
    let services: ReadServices
    private let state = Mutex(ReaderState())

    struct ReaderState {
        /// Leaves being loaded or fetched, with the callers waiting for them.
        var pending: [Int: [LeafWaiter]] = [:]
        /// Set once the service no longer has the output: misses then fail at once.
        var gone: String?
        var refusalLogged = false
        var rootChecked = false
        var inventoryLoading = false
        var headersRecorded = false
    }

    init(id: Int, vault: String, jobId: String, shape: JobOutputShape, entry: CachedOutput, services: ReadServices) {
        self.id = id
        self.vault = vault
        self.jobId = jobId
        self.shape = shape
        self.geometry = TreeGeometry(size: shape.size)
        self.entry = entry
        self.services = services
    }

    var leafSize: Int { TreeHash.leafSize }

    // MARK: - One leaf

    /// Hands leaf `leaf`'s verified bytes to `done`, at once or when they arrive.
    func requestLeaf(_ leaf: Int, done: @escaping LeafWaiter) {
        if let view = services.memory.get(output: id, leaf: leaf) {
            services.statistics.leavesFromMemory.add(1, ordering: .relaxed)
            return done(.success(view))
        }
        if case .refused(let reason) = shape.verification { return done(.failure(refusal(reason))) }
        let joined = state.withLock { s -> Bool in
            if s.pending[leaf] != nil {
                s.pending[leaf]!.append(done)
                return true
            }
            s.pending[leaf] = [done]
            return false
        }
        if joined { return }
        // A fetch may have finished between the memory check and the claim.
        if let view = services.memory.get(output: id, leaf: leaf) { return publish(leaf, view) }
        if shape.verification == .inventory { return loadInventory() }
        loadCachedOrFetch(leaf)
    }

    /// Starts loading every leaf of `leaves` that is neither in memory nor on its way: from the
    /// disk cache in the background, or from the service as tree nodes of up to `maxNodeLeaves`.
    func prefetch(_ leaves: Range<Int>, maxNodeLeaves: Int) {
        guard !leaves.isEmpty, shape.verification != .inventory else { return }
        if case .refused = shape.verification { return }
        var fromDisk: [Int] = []
        var missing: [Int] = []
        state.withLock { s in
            for leaf in leaves where s.pending[leaf] == nil && !services.memory.contains(output: id, leaf: leaf) {
                s.pending[leaf] = []
                if entry.hasLeaf(leaf) { fromDisk.append(leaf) } else { missing.append(leaf) }
            }
        }
        for leaf in fromDisk {
            services.diskWorkers.run { self.loadCachedOrFetch(leaf) }
        }
        var nodes: [Range<Int>] = []
        var runStart: Int?
        for (i, leaf) in missing.enumerated() {
            if runStart == nil { runStart = leaf }
            if i + 1 == missing.count || missing[i + 1] != leaf + 1 {
                nodes += geometry.nodes(covering: runStart! ..< leaf + 1, maxLeaves: maxNodeLeaves)
                runStart = nil
            }
        }
        fetch(nodes)
    }

    // MARK: - Disk

    /// Publishes a claimed leaf from the disk cache, or fetches it when it is not cached or fails
    /// its check. With no memory free at once, the readback waits for a buffer like a fetch does.
    private func loadCachedOrFetch(_ leaf: Int) {
        if entry.hasLeaf(leaf) {
            guard let buffer = services.pool.acquireNow(capacity: leafSize) else {
                Task.detached {
                    let buffer = await self.services.pool.acquire(capacity: self.leafSize)
                    if let view = self.readBack(leaf, into: buffer) { self.publish(leaf, view) } else { self.fetchLeaf(leaf) }
                }
                return
            }
            if let view = readBack(leaf, into: buffer) { return publish(leaf, view) }
        }
        fetchLeaf(leaf)
    }

    /// Reads a cached leaf back into `buffer` and checks it; nil if it is gone or fails the check.
    private func readBack(_ leaf: Int, into buffer: NodeBuffer) -> LeafView? {
        let length = geometry.leafLength(leaf)
        guard entry.readLeaf(leaf, into: UnsafeMutableRawBufferPointer(start: buffer.base, count: length),
                             capacity: buffer.capacity) else {
            return nil
        }
        services.statistics.leavesFromDisk.add(1, ordering: .relaxed)
        return LeafView(node: buffer, offset: 0, length: length)
    }

    /// A small read inside one cached leaf, checked by its 64 KiB blocks instead of the whole
    /// leaf's hash. Nil when the leaf is not cached (or fails), so the caller takes the full path.
    func readBlocksFromDisk(leaf: Int, range: Range<Int>) -> ByteSegment? {
        guard entry.hasLeaf(leaf) else { return nil }
        let blockSpan = (range.upperBound - 1) / LeafRecord.blockSize - range.lowerBound / LeafRecord.blockSize + 1
        let scratch = NodeBuffer.unpooled(capacity: blockSpan * LeafRecord.blockSize)
        guard let start = entry.readBlocks(leaf: leaf, range: range, scratch: scratch.mutableBytes) else { return nil }
        services.statistics.blockReadsFromDisk.add(1, ordering: .relaxed)
        return ByteSegment(view: LeafView(node: scratch, offset: 0, length: scratch.capacity),
                           range: start ..< start + range.count)
    }

    // MARK: - Network

    private func fetchLeaf(_ leaf: Int) { fetch(geometry.nodes(covering: leaf ..< leaf + 1)) }

    private func fetch(_ nodes: [Range<Int>]) {
        guard !nodes.isEmpty else { return }
        if let gone = state.withLock({ $0.gone }) {
            for node in nodes { fail(node, .outputGone(gone)) }
            return
        }
        for node in nodes {
            Task.detached { await self.fetchNode(node) }
        }
    }

    private var retryPolicy: RetryPolicy {
        RetryPolicy(maxAttempts: services.configuration.fetchAttempts, baseDelaySeconds: 0.05, maxDelaySeconds: 5)
    }

    private func fetchNode(_ node: Range<Int>) async {
        let bytes = geometry.bytes(ofLeaves: node)
        let length = Int(bytes.upperBound - bytes.lowerBound)
        await services.writeBacklog.waitForRoom()
        await services.limiter.acquire()
        // One buffer per leaf, all of one size, so freed memory is always reused as is.
        let buffers = await services.pool.acquire(count: node.count, capacity: leafSize)
        let verification: OutputVerification = shape.verification == .treeHash ? .treeHash : .sizeOnly
        services.statistics.fetchStarted()
        let started = ContinuousClock.now
        defer { services.statistics.fetchEnded(after: ContinuousClock.now - started) }
        do {
            let views = zip(node, buffers).map { LeafView(node: $1, offset: 0, length: geometry.leafLength($0)) }
            let checked = try await services.client.getJobOutput(
                vault: vault, jobId: jobId, range: bytes, outputSize: shape.size, verification: verification,
                intoLeaves: views.map { UnsafeMutableRawBufferPointer(start: $0.node.base, count: $0.length) },
                retry: retryPolicy)
            services.limiter.release()
            services.statistics.leavesFetched.add(node.count, ordering: .relaxed)
            services.statistics.bytesFetched.add(length, ordering: .relaxed)
            // Headers first: whoever waits on these leaves may ask for them next (xattrs).
            recordResponseHeaders(checked)
            for (leaf, view) in zip(node, views) { publish(leaf, view) }
            let digests = checked.leafDigests.count == views.count
                ? checked.leafDigests : views.map { SHA256.hash($0.bytes) }
            let leaves = zip(node, zip(views, digests)).map { ($0, $1.0, $1.1) }
            services.writeToCache(bytes: length) { self.persist(leaves) }
        } catch {
            services.limiter.release()
            services.statistics.fetchFailures.add(1, ordering: .relaxed)
            var failure = ReadFailure.fetchFailed("GetJobOutput for vault \(vault) job \(jobId) bytes "
                                                  + "\(bytes.lowerBound)-\(bytes.upperBound - 1) failed: \(error)")
            if error.isNotFound {
                let reason = "the output of job \(jobId) in vault \(vault) is no longer available from the service "
                    + "(jobs expire about 24 hours after they complete); only cached parts can be read"
                state.withLock { $0.gone = reason }
                failure = .outputGone(reason)
            }
            services.logger.error("\(failure.message)")
            fail(node, failure)
        }
    }

    /// Stores verified leaves in the disk cache, and checks the whole output's root once every
    /// leaf is there.
    private func persist(_ leaves: [(Int, LeafView, SHA256Digest)]) {
        if let first = leaves.first?.0 {
            entry.store(from: first, leaves.map { (bytes: $0.1.bytes, digest: $0.2) })
        }
        guard entry.isComplete, shape.expectedTreeHash != nil else { return }
        let first = once(\.rootChecked)
        guard first, let check = entry.checkWholeOutput() else { return }
        if check.result == .matched {
            services.logger.info("output verified whole: the root of all leaves matches the job's SHA256TreeHash",
                                 metadata: ["vault": "\(vault)", "job": "\(jobId)"])
        } else {
            services.logger.error("the root of all verified leaves does not match the job's SHA256TreeHash",
                                  metadata: ["vault": "\(vault)", "job": "\(jobId)", "computed": "\(check.computedRoot)"])
        }
    }

    /// Keeps what only GetJobOutput's headers tell (the archive's description and content type).
    /// Written to disk with the other metadata later: never an fsync on the read path.
    private func recordResponseHeaders(_ checked: VerifiedOutputRange) {
        let first = once(\.headersRecorded)
        guard first else { return }
        entry.updateDescriptor { d in
            d.archiveDescription = d.archiveDescription ?? checked.archiveDescription ?? ""
            d.contentType = d.contentType ?? checked.contentType
        }
    }

    /// Waits for one leaf.
    func leaf(_ leaf: Int) async -> LeafResult {
        await withCheckedContinuation { continuation in
            requestLeaf(leaf) { continuation.resume(returning: $0) }
        }
    }

    // MARK: - Inventories

    /// Inventories carry no checksum: the whole output is fetched, its size checked at every
    /// step, and parsed as JSON or CSV before any byte is served.
    private func loadInventory() {
        let all = 0 ..< geometry.leafCount
        let claimed = state.withLock { s -> Bool in
            guard !s.inventoryLoading else { return false }
            s.inventoryLoading = true
            for leaf in all where s.pending[leaf] == nil { s.pending[leaf] = [] }
            return true
        }
        guard claimed else { return }
        if all.allSatisfy({ entry.hasLeaf($0) }) {
            let views = all.compactMap { leaf in services.pool.acquireNow(capacity: leafSize).flatMap { readBack(leaf, into: $0) } }
            if views.count == all.count {
                state.withLock { $0.inventoryLoading = false }
                for (leaf, view) in zip(all, views) { publish(leaf, view) }
                return
            }
        }
        Task.detached { await self.fetchInventory() }
    }

    /// Ends the inventory's load and hands its waiters `failure` in one step, so a read that comes
    /// in meanwhile either joins this load or starts a new one, never waits on a load that is over.
    private func failInventory(_ failure: ReadFailure) {
        let waiters = state.withLock { s in
            s.inventoryLoading = false
            return (0 ..< geometry.leafCount).flatMap { s.pending.removeValue(forKey: $0) ?? [] }
        }
        for w in waiters { w(.failure(failure)) }
    }

    private func fetchInventory() async {
        let size = Int(shape.size)
        let limit = Int(min(services.configuration.inventoryParseLimitBytes, Int64(services.pool.budget / 2)))
        guard size <= limit else {
            // Too large to hold whole: size checks per node only.
            services.logger.warning("inventory larger than \(limit) bytes is served with size checks only",
                                    metadata: ["vault": "\(vault)", "job": "\(jobId)"])
            state.withLock { $0.inventoryLoading = false }
            for node in geometry.nodes(covering: 0 ..< geometry.leafCount, maxLeaves: maxRequestLeaves) {
                await fetchNode(node)
            }
            return
        }
        await services.limiter.acquire()
        let buffer = await services.pool.acquire(capacity: max(1, geometry.leafCount) * leafSize)
        defer { services.limiter.release() }
        do {
            for node in geometry.nodes(covering: 0 ..< geometry.leafCount, maxLeaves: maxRequestLeaves) {
                let range = geometry.bytes(ofLeaves: node)
                let target = UnsafeMutableRawBufferPointer(start: buffer.base + Int(range.lowerBound), count: range.count)
                _ = try await services.client.getJobOutput(vault: vault, jobId: jobId, range: range, outputSize: shape.size,
                                                           verification: .sizeOnly, into: target, retry: retryPolicy)
            }
        } catch {
            services.statistics.fetchFailures.add(1, ordering: .relaxed)
            let failure = ReadFailure.fetchFailed("inventory download for vault \(vault) job \(jobId) failed: \(error)")
            services.logger.error("\(failure.message)")
            return failInventory(failure)
        }
        let bytes = UnsafeRawBufferPointer(start: buffer.base, count: size)
        if let problem = InventoryCheck.problem(bytes, format: shape.inventoryFormat) {
            let failure = ReadFailure.fetchFailed("inventory of vault \(vault) job \(jobId) is not valid: \(problem)")
            services.logger.error("\(failure.message)")
            return failInventory(failure)
        }
        // Every leaf is still claimed by this load until published, so a read now joins it.
        state.withLock { $0.inventoryLoading = false }
        let views = (0 ..< geometry.leafCount).map {
            LeafView(node: buffer, offset: $0 * leafSize, length: geometry.leafLength($0))
        }
        for (leaf, view) in views.enumerated() { publish(leaf, view) }
        let leaves = views.enumerated().map { ($0.offset, $0.element, SHA256.hash($0.element.bytes)) }
        services.writeToCache(bytes: size) { self.persist(leaves) }
    }

    var maxRequestLeaves: Int { max(1, services.configuration.maxRequestBytes / leafSize) }

    // MARK: - Completion

    private func publish(_ leaf: Int, _ view: LeafView) {
        // Into memory before the claim is dropped: `requestLeaf` looks there after a missed claim.
        let waiters = state.withLock { s in
            services.memory.insert(output: id, leaf: leaf, view: view, unread: s.pending[leaf]?.isEmpty ?? true)
            return s.pending.removeValue(forKey: leaf) ?? []
        }
        for w in waiters { w(.success(view)) }
    }

    private func fail(_ leaves: Range<Int>, _ failure: ReadFailure) {
        let waiters = state.withLock { s in leaves.flatMap { s.pending.removeValue(forKey: $0) ?? [] } }
        for w in waiters { w(.failure(failure)) }
    }

    /// True the first time it is asked for `flag`, which it then sets.
    private func once(_ flag: WritableKeyPath<ReaderState, Bool>) -> Bool {
        state.withLock { s in
            defer { s[keyPath: flag] = true }
            return !s[keyPath: flag]
        }
    }

    private func refusal(_ reason: String) -> ReadFailure {
        let first = once(\.refusalLogged)
        let message = "refusing to serve vault \(vault) job \(jobId): \(reason); mount with --allow-unverified to read it anyway"
        if first { services.logger.error("\(message)") }
        return .refused(message)
    }
}
