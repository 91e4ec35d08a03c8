import OutputCache
import Synchronization

/// Verified leaves held in memory, shared by every output, evicted least recently used first.
/// Prefetched leaves wait here for the kernel's reads, and recently read ones serve re-reads.
final class LeafMemory: Sendable {
    private let state = Mutex(MemoryState())

    struct MemoryState {
        var views: [UInt64: LeafView] = [:]
        var order = LRUTracker()
    }

    func get(output: Int, leaf: Int) -> LeafView? {
        let key = LRUTracker.key(output: output, leaf: leaf)
        return state.withLock { s in
            guard let v = s.views[key] else { return nil }
            s.order.touch(key)
            return v
        }
    }

    func contains(output: Int, leaf: Int) -> Bool {
        state.withLock { $0.views[LRUTracker.key(output: output, leaf: leaf)] != nil }
    }

    func insert(output: Int, leaf: Int, view: LeafView) {
        let key = LRUTracker.key(output: output, leaf: leaf)
        state.withLock { s in
            s.views[key] = view
            s.order.touch(key)
        }
    }

    /// Drops the least recently used leaf; false when none is held.
    func evictOldest() -> Bool {
        // The view is released after the lock, since releasing may return memory to the pool.
        let dropped: LeafView? = state.withLock { s in
            guard let key = s.order.popOldest() else { return nil }
            return s.views.removeValue(forKey: key)
        }
        return dropped != nil
    }

    func removeAll(output: Int) {
        let dropped: [LeafView] = state.withLock { s in
            let keys = s.views.keys.filter { LRUTracker.split($0).output == output }
            return keys.compactMap { key in
                s.order.remove(key)
                return s.views.removeValue(forKey: key)
            }
        }
        _ = dropped
    }

    var count: Int { state.withLock { $0.views.count } }
}
