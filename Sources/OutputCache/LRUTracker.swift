import DequeModule

/// Least-recently-used order over keys (an output id and a leaf packed in one UInt64), with O(1)
/// amortised touch and eviction. A touch appends a stamped entry; stale entries (older stamps)
/// are skipped when popping and compacted away when they pile up.
public struct LRUTracker: Sendable {
    private var order = Deque<(key: UInt64, stamp: UInt64)>()
    private var stamps: [UInt64: UInt64] = [:]
    private var clock: UInt64 = 0

    public init() {}

    public var count: Int { stamps.count }

    public mutating func touch(_ key: UInt64) {
        clock &+= 1
        stamps[key] = clock
        order.append((key, clock))
        if order.count > 2 * stamps.count + 1024 { compact() }
    }

    /// Adds a key as the least recently used (for entries found on disk at startup).
    public mutating func insertAsOldest(_ key: UInt64) {
        guard stamps[key] == nil else { return }
        stamps[key] = 0
        order.prepend((key, 0))
    }

    public mutating func remove(_ key: UInt64) { stamps[key] = nil }

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
