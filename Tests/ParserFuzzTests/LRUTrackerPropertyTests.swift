import Testing

@testable import LRUOrder

/// LRUTracker against a plain array kept in eviction order: whatever mix of touches, demotions,
/// removals and pops, it must evict exactly what the array says, and nothing twice.
@Suite struct LRUTrackerPropertyTests {
    /// Oldest first, newest last.
    struct ReferenceOrder {
        var keys: [UInt64] = []
        mutating func touch(_ k: UInt64) {
            keys.removeAll { $0 == k }
            keys.append(k)
        }
        mutating func demote(_ k: UInt64) {
            if keys.contains(k) {
                keys.removeAll { $0 == k }
                keys.insert(k, at: 0)
            }
        }
        mutating func remove(_ k: UInt64) { keys.removeAll { $0 == k } }
        mutating func popOldest() -> UInt64? { keys.isEmpty ? nil : keys.removeFirst() }
    }

    @Test func evictionOrderMatchesAReferenceModel() {
        fuzz("LRUTracker order", iterations: FuzzConfig.iterations(cost: 10)) { r, run in
            var tracker = LRUTracker()
            var reference = ReferenceOrder()
            let keySpace = r.int(1 ... 40)
            var log: [String] = []
            // Enough operations to trigger compaction, which happens past 1024 stale entries.
            for _ in 0 ..< r.int(1 ... 1500) {
                let key = LRUTracker.key(output: r.int(0 ..< 3), leaf: r.int(0 ..< keySpace))
                switch r.int(0 ..< 10) {
                case 0 ..< 5:
                    tracker.touch(key)
                    reference.touch(key)
                    log.append("touch \(key)")
                case 5, 6, 7:
                    tracker.demote(key)
                    reference.demote(key)
                    log.append("demote \(key)")
                case 8:
                    tracker.remove(key)
                    reference.remove(key)
                    log.append("remove \(key)")
                default:
                    let got = tracker.popOldest(), want = reference.popOldest()
                    log.append("pop \(String(describing: got))")
                    run.expect(
                        got == want,
                        "popped \(String(describing: got)), expected \(String(describing: want)) after \(log.suffix(12))"
                    )
                    if got != want { return }
                }
                run.expect(
                    tracker.count == reference.keys.count,
                    "count \(tracker.count), expected \(reference.keys.count) after \(log.suffix(12))")
            }
            var drained: [UInt64] = []
            while let k = tracker.popOldest() { drained.append(k) }
            run.expect(drained == reference.keys, "drained \(drained), expected \(reference.keys)")
        }
    }
}
