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
        var queued: [Int: SHA256Digest] = [:]
        /// A job is writing this node's leaves.
        var writing = false

        /// The queued leaves in order, with their buffers, for the writing job.
        mutating func takeQueued() -> [Piece] {
            defer { queued = [:] }
            return queued.sorted { $0.key < $1.key }.map {
                Piece(leaf: $0.key, buffer: lent[$0.key]!.buffer, digest: $0.value)
            }
        }

        /// A lent leaf written (or not): an own buffer goes back to be lent again, a pooled one
        /// is held while its leaf is staged.
        mutating func settle(_ leaf: Int, digest: SHA256Digest, written: Bool) {
            guard let (buffer, own) = lent.removeValue(forKey: leaf) else { return }
            if own {
                spare.append(buffer)
            } else if written {
                held[leaf] = buffer
            }
            if written {
                staged[leaf] = digest
            } else {
                refused = true
            }
        }
    }

    /// A leaf hashed, in the buffer lent for it, on its way to the disk.
    struct Piece {
        let leaf: Int
        let buffer: NodeBuffer
        let digest: SHA256Digest
    }

    /// The most leaves one staging write takes. This machine's disk wrote 16 MiB writes at
    /// 1.2–1.4 GB/s and 1 MiB ones at 0.5–1.0; larger ones would make a node's leaves wait longer.
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

    /// One job at a time writes a node's leaves, and leaves hashed meanwhile queue behind it:
    /// when the disk falls behind, its next write takes them all at once. A queued leaf answers
    /// kept; a failed write shows in `failed`, and its leaves are not staged, so the node's commit
    /// fails. A leaf in one of the node's own buffers is written at once, alone: the transfer may
    /// be waiting for that buffer, and gets it back when this `keep` returns.
    func keep(leaf: Int, bytes: UnsafeRawBufferPointer, digest: SHA256Digest) -> Bool {
        enum Role {
            case queued, alone(Piece), writer([Piece])
        }
        let role = state.withLock { s -> Role? in
            guard let (buffer, own) = s.lent[leaf], UnsafeRawPointer(buffer.base) == bytes.baseAddress else {
                return nil
            }
            if own { return .alone(Piece(leaf: leaf, buffer: buffer, digest: digest)) }
            if s.writing {
                s.queued[leaf] = digest
                return .queued
            }
            s.writing = true
            s.queued[leaf] = digest
            return .writer(s.takeQueued())
        }
        switch role {
        case nil: return false
        case .queued: return true
        case .alone(let piece): return write([piece])
        case .writer(var batch):
            var kept = true
            while !batch.isEmpty {
                for run in Self.runs(of: batch.map(\.leaf)) where !write(batch[run]) {
                    if batch[run].contains(where: { $0.leaf == leaf }) { kept = false }
                }
                batch = state.withLock { s in
                    if s.queued.isEmpty { s.writing = false }
                    return s.takeQueued()
                }
            }
            return kept
        }
    }

    /// The index ranges of `leaves` (in order) that one write each takes: consecutive leaves, at
    /// most `leavesPerWrite`.
    static func runs(of leaves: [Int]) -> [Range<Int>] {
        guard !leaves.isEmpty else { return [] }
        var runs: [Range<Int>] = []
        var start = 0
        for end in 1 ... leaves.count
        where end == leaves.count || end - start == leavesPerWrite || leaves[end] != leaves[end - 1] + 1 {
            runs.append(start ..< end)
            start = end
        }
        return runs
    }

    /// Stages consecutive leaves in one write and settles their buffers; whether they were
    /// written. After a refusal nothing more is written: the node cannot be committed.
    private func write(_ pieces: some Collection<Piece>) -> Bool {
        let written =
            !failed
            && store.stage(
                from: pieces.first!.leaf,
                pieces.map {
                    (UnsafeRawBufferPointer(start: $0.buffer.base, count: geometry.leafLength($0.leaf)), $0.digest)
                }
            ) == pieces.count
        state.withLock { s in
            for piece in pieces { s.settle(piece.leaf, digest: piece.digest, written: written) }
        }
        return written
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
