import Synchronization

/// Caps how many GetJobOutput requests run at once, across all outputs, and starts them in the
/// order they were decided on: a sequential reader waits on its oldest node first, so a node
/// decided later must not take the connection it needs.
final class FetchLimiter: Sendable {
    private let gate: AsyncGate<Slots>
    private let nextTicket = Atomic<UInt64>(0)

    struct Slots: Sendable {
        var available: Int
        /// Tickets of the fetches waiting, in order (a split's children share their node's).
        var waiting: [UInt64] = []
    }

    /// The place in line of the fetch a task runs: taken when the fetch is decided on, and kept
    /// by its retries and its children.
    @TaskLocal static var ticket: UInt64?

    init(slots: Int) { gate = AsyncGate(Slots(available: max(1, slots))) }

    /// A place in line, for a fetch decided on now.
    func takeTicket() -> UInt64 { nextTicket.add(1, ordering: .relaxed).oldValue }

    func acquire() async {
        let ticket = Self.ticket ?? takeTicket()
        gate.withState { s in s.waiting.insert(ticket, at: s.waiting.partitioningIndex { $0 > ticket }) }
        await gate.wait { (s: inout Slots) -> Void? in
            guard s.available > 0, s.waiting.first == ticket else { return nil }
            s.available -= 1
            s.waiting.removeFirst()
            return ()
        }
        // The next in line may be able to start too: it slept while this one was first.
        gate.update { _ in }
    }

    func release() { gate.update { $0.available += 1 } }
}

extension Array where Element: Comparable {
    /// The first index whose element satisfies `belongsAfter`, for a sorted array.
    fileprivate func partitioningIndex(where belongsAfter: (Element) -> Bool) -> Int {
        var low = 0
        var high = count
        while low < high {
            let mid = (low + high) / 2
            if belongsAfter(self[mid]) { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
