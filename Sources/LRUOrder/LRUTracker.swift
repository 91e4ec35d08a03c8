/// LRUOrder: least-recently-used order over packed (owner, item) keys, shared by the disk cache and
/// the in-memory leaf store so neither borrows the other's module for it.

import DequeModule

/// Least-recently-used order over keys (an output id and a leaf packed in one UInt64), with O(1)
/// amortised touch and eviction. A touch appends an entry stamped above every other, a demotion
/// prepends one stamped below every other; stale entries (whose stamp is no longer the key's) are
/// skipped when popping and compacted away when they pile up. Stamps are unique, so compaction
/// keeps the order exactly.
public struct LRUTracker: Sendable {
    private var order = Deque<(key: UInt64, stamp: Int64)>()
    private var stamps: [UInt64: Int64] = [:]
    private var newest: Int64 = 0
    private var oldest: Int64 = 0

    public init() {}

    public var count: Int { stamps.count }

    public mutating func touch(_ key: UInt64) {
        newest += 1
        stamps[key] = newest
        order.append((key, newest))
        if order.count > 2 * stamps.count + 1024 { compact() }
    }

    public mutating func remove(_ key: UInt64) { stamps[key] = nil }

    /// Makes a present key the next to go (a leaf a sequential reader has finished with).
    public mutating func demote(_ key: UInt64) {
        guard stamps[key] != nil else { return }
        oldest -= 1
        stamps[key] = oldest
        order.prepend((key, oldest))
        if order.count > 2 * stamps.count + 1024 { compact() }
    }

    /// The key `popOldest` would return, left in place.
    public mutating func peekOldest() -> UInt64? {
        while let first = order.first {
            if stamps[first.key] == first.stamp { return first.key }
            order.removeFirst()
        }
        return nil
    }

    public mutating func popOldest() -> UInt64? {
        while let first = order.popFirst() {
            if stamps[first.key] == first.stamp {
                stamps[first.key] = nil
                return first.key
            }
        }
        return nil
    }

    private mutating func compact() {
        order = Deque(stamps.sorted { $0.value < $1.value }.map { (key: $0.key, stamp: $0.value) })
    }

    public static func key(output: Int, leaf: Int) -> UInt64 { UInt64(output) << 32 | UInt64(UInt32(leaf)) }
    public static func split(_ key: UInt64) -> (output: Int, leaf: Int) { (Int(key >> 32), Int(key & 0xffff_ffff)) }
}
