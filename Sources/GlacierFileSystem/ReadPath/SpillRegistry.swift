import Synchronization

/// The streamed nodes in flight, by output, so that memory goes to the leaves wanted soonest.
///
/// A streamed node's leaves are staged on disk as they arrive, and those that found memory are
/// held there too, until the node is verified and published. With the budget spent, a leaf
/// arriving for a node nearer the reader (a lower leaf index: readers of streamed nodes read in
/// order) takes the memory of the held leaf farthest ahead of it in the same output. That leaf is
/// on disk already, and of the two it is read last; memory held for a short while serves more
/// leaves than memory held for a long one.
final class SpillRegistry: Sendable {
    private let spills = Mutex<[Int: [Entry]]>([:])
    private let statistics: ReadStatistics

    init(statistics: ReadStatistics) { self.statistics = statistics }

    struct Entry {
        weak var spill: StoreSpill?
    }

    func add(_ spill: StoreSpill) {
        spills.withLock { $0[spill.output, default: []].append(Entry(spill: spill)) }
    }

    /// Also drops entries whose spill is gone (in a spill's deinit, its own among them).
    func remove(_ spill: StoreSpill) {
        spills.withLock { table in
            table[spill.output]?.removeAll { $0.spill == nil || $0.spill === spill }
            if table[spill.output]?.isEmpty ?? false { table[spill.output] = nil }
        }
    }

    /// The buffer of the held leaf of `output` farthest ahead of `leaf`, taken from its node;
    /// nil when no node holds one beyond it.
    func takeFarthest(output: Int, beyond leaf: Int) -> NodeBuffer? {
        // The weak references are resolved outside the lock: the last strong one may be ours, and
        // a spill's deinit takes this lock to leave the table.
        let entries = spills.withLock { $0[output] ?? [] }
        let ahead = entries.compactMap(\.spill).filter { $0.firstLeaf > leaf }.sorted { $0.firstLeaf > $1.firstLeaf }
        for spill in ahead {
            if let buffer = spill.takeLastHeld(beyond: leaf) {
                statistics.streamedLeavesYielded.add(1, ordering: .relaxed)
                return buffer
            }
        }
        return nil
    }
}
