import LRUOrder
import Synchronization

/// Verified leaves held in memory, shared by every output, evicted least recently used first.
/// Prefetched leaves wait here for the kernel's reads, and recently read ones serve re-reads.
final class LeafMemory: Sendable {
    private let state = Mutex(MemoryState())

    private let statistics: ReadStatistics

    init(statistics: ReadStatistics) { self.statistics = statistics }

    struct MemoryState {
        var views: [UInt64: LeafView] = [:]
        var unread: Set<UInt64> = []
        var order = LRUTracker()
    }

    func get(output: Int, leaf: Int) -> LeafView? {
        let key = LRUTracker.key(output: output, leaf: leaf)
        return state.withLock { s in
            guard let v = s.views[key] else { return nil }
            s.order.touch(key)
            s.unread.remove(key)
            return v
        }
    }

    func contains(output: Int, leaf: Int) -> Bool {
        state.withLock { $0.views[LRUTracker.key(output: output, leaf: leaf)] != nil }
    }

    /// Holds a leaf; `unread` when it was loaded ahead of any reader.
    func insert(output: Int, leaf: Int, view: LeafView, unread: Bool = false) {
        let key = LRUTracker.key(output: output, leaf: leaf)
        state.withLock { s in
            s.views[key] = view
            s.order.touch(key)
            if unread { s.unread.insert(key) } else { s.unread.remove(key) }
        }
    }

    /// Marks a leaf as the first to drop: a sequential reader has read past it, and the kernel's
    /// page cache now holds its bytes, while the leaves prefetched ahead are still to be read.
    func demote(output: Int, leaf: Int) {
        state.withLock { $0.order.demote(LRUTracker.key(output: output, leaf: leaf)) }
    }

    /// Drops one leaf that no reader will want again soon (an inventory leaf, once parsed).
    func drop(output: Int, leaf: Int) {
        let key = LRUTracker.key(output: output, leaf: leaf)
        let dropped: LeafView? = state.withLock { s in
            s.order.remove(key)
            s.unread.remove(key)
            return s.views.removeValue(forKey: key)
        }
        _ = dropped  // released outside the lock, as in drop(output:)
    }

    /// Drops every leaf of an output (one whose root did not match, or an inventory parsed whole).
    func drop(output: Int) {
        let dropped: [LeafView] = state.withLock { s in
            let keys = s.views.keys.filter { LRUTracker.split($0).output == output }
            return keys.compactMap { key in
                s.order.remove(key)
                s.unread.remove(key)
                return s.views.removeValue(forKey: key)
            }
        }
        _ = dropped  // released here, outside the lock: releasing may return memory to the pool
    }

    /// Drops the least recently used leaf if a reader has had it (not one loaded ahead and still
    /// waiting for its reader); false otherwise.
    func evictOldestRead() -> Bool {
        let dropped: LeafView? = state.withLock { s in
            guard let key = s.order.peekOldest(), !s.unread.contains(key) else { return nil }
            _ = s.order.popOldest()
            return s.views.removeValue(forKey: key)
        }
        return dropped != nil
    }

    /// Drops the least recently used leaf; false when none is held. When that leaf was loaded
    /// ahead and is not read yet, the last of the unread leaves that follow it without a gap goes
    /// instead: loaded in order, the oldest is the one its reader wants next, and the last the one
    /// it wants last. (Unread leaves elsewhere, left behind by a jump, still age out in order.)
    func evictOldest() -> Bool {
        // The view is released after the lock, since releasing may return memory to the pool.
        let dropped: LeafView? = state.withLock { s in
            guard var key = s.order.peekOldest() else { return nil }
            if s.unread.contains(key) {
                while s.unread.contains(key + 1) { key += 1 }
                s.unread.remove(key)
                statistics.droppedUnread.add(1, ordering: .relaxed)
            }
            s.order.remove(key)
            return s.views.removeValue(forKey: key)
        }
        return dropped != nil
    }
}
