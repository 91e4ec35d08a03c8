import GlacierClient
import GlacierIntegrity
import Synchronization

/// A streamed node's leaves into its output's store, staged there until the node is verified
/// (the staging write is the leaf's cache write).
///
/// Each leaf arrives in memory from the pool while the budget allows, and stays there to be
/// published; with the budget spent it arrives in one of the node's own few buffers, which are
/// reused as soon as the leaf is staged, so the leaf is read back from the store when wanted.
/// So a node's memory grows with the bytes that have arrived, not the bytes asked for. A leaf
/// held may give its memory to one nearer the reader (`SpillRegistry`) until the node is closed.
final class StoreSpill: LeafSpill {
    let store: any OutputStore
    /// The output's reader id, and the node's first leaf: how near the reader its leaves are.
    let output: Int
    let firstLeaf: Int
    let geometry: TreeGeometry
    let services: ReadServices
    private let onTransferEnd: @Sendable () -> Void
    private let state: Mutex<State>

    struct State {
        /// The node's own buffers not lent now.
        var spare: [NodeBuffer]
        /// Buffers lent to leaves on their way, and whether each is one of the node's own.
        var lent: [Int: (buffer: NodeBuffer, own: Bool)] = [:]
        /// Leaves staged and still in memory.
        var held: [Int: NodeBuffer] = [:]
        /// The digest of every leaf staged, to salvage the leaves of a transfer that breaks.
        var staged: [Int: SHA256Digest] = [:]
        var refused = false
        /// The node is closed (its held leaves handed on, or discarded): none may be taken.
        var closed = false
        /// Leaves hashed and waiting for the job writing this node's leaves, by their digests.
        var ready: [Int: SHA256Digest] = [:]
        /// A job is writing this node's leaves.
        var writing = false

        /// The ready leaves in order, with their buffers, for the writing job.
        mutating func takeReady() -> [(leaf: Int, buffer: NodeBuffer, digest: SHA256Digest)] {
            defer { ready = [:] }
            return ready.keys.sorted().map { (leaf: $0, buffer: lent[$0]!.buffer, digest: ready[$0]!) }
        }

        /// A lent leaf written (or not): an own buffer goes back to be lent again, a pooled one
        /// is held while its leaf is staged.
        mutating func settle(_ leaf: Int, digest: SHA256Digest, staged: Bool) {
            guard let (buffer, own) = lent.removeValue(forKey: leaf) else { return }
            if own {
                spare.append(buffer)
            } else if staged {
                held[leaf] = buffer
            }
            if staged {
                self.staged[leaf] = digest
            } else {
                refused = true
            }
        }
    }

    /// The most leaves one staging write takes: 16 MiB, which this kind of disk takes at its full
    /// speed, while a node's leaves wait for it no longer than one such write.
    static let leavesPerWrite = 16

    /// - Parameters:
    ///   - own: the node's own buffers (at least one), which guarantee it progress.
    ///   - onTransferEnd: called when the response is over, before its last leaves are staged.
    init(
        store: any OutputStore, output: Int, node: Range<Int>, geometry: TreeGeometry, services: ReadServices,
        own: [NodeBuffer], onTransferEnd: @escaping @Sendable () -> Void
    ) {
        self.store = store
        self.output = output
        firstLeaf = node.lowerBound
        self.geometry = geometry
        self.services = services
        self.onTransferEnd = onTransferEnd
        state = Mutex(State(spare: own))
        services.spills.add(self)
    }

    deinit { services.spills.remove(self) }

    func transferEnded() { onTransferEnd() }

    /// Whether the store refused a leaf (a full or failing disk), as opposed to the link failing.
    var failed: Bool { state.withLock { $0.refused } }

    /// The staged leaves still in memory, to publish without reading them back. Closes the node:
    /// from now on none of them gives its memory away.
    func takeHeld() -> [Int: LeafView] {
        defer { services.spills.remove(self) }
        return state.withLock { s in
            s.closed = true
            return s.held.reduce(into: [:]) { views, entry in
                views[entry.key] = LeafView(node: entry.value, offset: 0, length: geometry.leafLength(entry.key))
            }
        }
    }

    /// Takes the buffer of the held leaf farthest ahead, if it is beyond `leaf` and the node is not
    /// closed: the leaf stays staged on disk, to be read back when wanted. Only `held` refers to
    /// that buffer, so it can be lent again at once.
    func takeLastHeld(beyond leaf: Int) -> NodeBuffer? {
        state.withLock { s in
            guard !s.closed, let last = s.held.keys.max(), last > leaf else { return nil }
            return s.held.removeValue(forKey: last)
        }
    }

    /// Lets go of every buffer, once the node failed: what a split or a retry fetches next needs
    /// the memory.
    func discard() {
        defer { services.spills.remove(self) }
        let dropped = state.withLock { s in
            s.closed = true
            defer {
                s.spare = []
                s.held = [:]
                s.lent = [:]
            }
            return (s.spare, s.held, s.lent)
        }
        _ = dropped  // released here, outside the lock: releasing returns memory to the pool
    }

    func buffer(for leaf: Int) -> UnsafeMutableRawBufferPointer? {
        if let fresh = services.bufferNow(output: output, leaf: leaf) {
            state.withLock { $0.lent[leaf] = (fresh, false) }
            return fresh.mutableBytes
        }
        return state.withLock { s in
            guard let own = s.spare.popLast() else { return nil }
            s.lent[leaf] = (own, true)
            return own.mutableBytes
        }
    }

    func schedule(_ job: @escaping @Sendable () -> Void) { services.spillWorkers.run(job) }

    /// Stages the leaf with the node's others that were hashed while a write was on its way. One
    /// job writes a node's leaves at a time: when the disk falls behind, what queues up behind
    /// a write goes in the next one, and a disk takes one large write several times faster than
    /// many 1 MiB ones; when it keeps up, each leaf goes alone, at once. A leaf left to the
    /// writing job counts as kept; should its write fail, `failed` says so, and the node's
    /// commit fails, so its leaves not in memory are fetched again.
    func keep(leaf: Int, bytes: UnsafeRawBufferPointer, digest: SHA256Digest) -> Bool {
        var batch = state.withLock { s -> [(leaf: Int, buffer: NodeBuffer, digest: SHA256Digest)]? in
            s.ready[leaf] = digest
            guard !s.writing else { return nil }
            s.writing = true
            return s.takeReady()
        }
        var kept = true
        while let ready = batch {
            var start = 0
            while start < ready.count {
                var end = start + 1
                while end < ready.count, end - start < Self.leavesPerWrite, ready[end].leaf == ready[end - 1].leaf + 1 {
                    end += 1
                }
                let run = ready[start ..< end]
                let staged =
                    store.stage(
                        from: ready[start].leaf,
                        run.map {
                            (
                                UnsafeRawBufferPointer(start: $0.buffer.base, count: geometry.leafLength($0.leaf)),
                                $0.digest
                            )
                        }
                    ) == run.count
                state.withLock { s in
                    for piece in run { s.settle(piece.leaf, digest: piece.digest, staged: staged) }
                }
                if !staged && run.contains(where: { $0.leaf == leaf }) { kept = false }
                start = end
            }
            batch = state.withLock { s in
                guard !s.ready.isEmpty else {
                    s.writing = false
                    return nil
                }
                return s.takeReady()
            }
        }
        return kept
    }

    /// The leaves staged from `first` on without a gap, and their digests: what a broken transfer
    /// brought whole. Call after the transfer, once its spill jobs are over.
    func stagedRun(from first: Int) -> (leaves: Range<Int>, digests: [SHA256Digest]) {
        state.withLock { s in
            var digests: [SHA256Digest] = []
            while let digest = s.staged[first + digests.count] { digests.append(digest) }
            return (first ..< first + digests.count, digests)
        }
    }
}
