import Synchronization

/// Caps how many GetJobOutput requests run at once, across all outputs, and decides which waiting
/// fetch starts next: first those a reader waits on, then the rest, each in the order they were
/// decided on. A sequential reader waits on its oldest node first, so a node decided later must
/// not take the connection it needs; and a reader blocked on a node must not wait behind other
/// readers' prefetch.
final class FetchLimiter: Sendable {
    private let gate: AsyncGate<Slots>
    private let nextTicket = Atomic<UInt64>(0)
    /// Leaves that sequential readers have yet to ask for, up to their outputs' ends.
    private let expectedLeaves = Atomic<Int>(0)

    struct Slots: Sendable {
        var available: Int
        /// The fetches waiting, in the order they start (a node's pieces share its place).
        var waiting: [Waiter] = []
        /// The leaves they ask for, together.
        var waitingLeaves = 0
        /// The fetches running, by grant.
        var running: [UInt64: Running] = [:]
        var nextGrant: UInt64 = 0
    }

    struct Running: Sendable {
        let leaves: Int
        let started: ContinuousClock.Instant
    }

    /// A slot taken: give it back with `release` or `putBack`.
    struct Grant: Sendable {
        let id: UInt64
        let leaves: Int
        /// The work left besides this fetch, in leaves (see `acquire`).
        let workLeft: Int
        /// The link as measured when the work left was counted; nil before it is.
        let link: LinkSpeed.Estimate?
        /// Fetches under way when this one started.
        let othersInFlight: Int
    }

    struct Waiter: Sendable {
        let place: Place
        let leaves: Int
    }

    /// A fetch's place in line: taken when the fetch is decided on, and kept by its retries and
    /// its pieces.
    final class Place: Sendable {
        let ticket: UInt64
        /// A reader waits on the fetch's leaves.
        let urgent: Atomic<Bool>
        /// Leaves counted as waiting from the moment the fetch was decided on, until it waits
        /// in line: nodes decided together are all counted before the first of them starts.
        let counted: Atomic<Int>

        init(ticket: UInt64, urgent: Bool, leaves: Int) {
            self.ticket = ticket
            self.urgent = Atomic(urgent)
            counted = Atomic(leaves)
        }

        /// Urgent places first, then by ticket.
        func startsBefore(_ other: Place) -> Bool {
            let (mine, theirs) = (urgent.load(ordering: .relaxed), other.urgent.load(ordering: .relaxed))
            return mine != theirs ? mine : ticket < other.ticket
        }
    }

    /// The place of the fetch a task runs (see `Place`).
    @TaskLocal static var place: Place?

    /// Times fetches, to tell how much of a running one is left.
    private let linkSpeed: LinkSpeed?

    init(slots: Int, linkSpeed: LinkSpeed? = nil) {
        gate = AsyncGate(Slots(available: max(1, slots)))
        self.linkSpeed = linkSpeed
    }

    /// A place in line, for a fetch of `leaves` decided on now. Undo with `forget` once the fetch
    /// is over, in case it never waited in line.
    func takePlace(urgent: Bool = false, leaves: Int = 0) -> Place {
        gate.withState { $0.waitingLeaves += leaves }
        return Place(ticket: nextTicket.add(1, ordering: .relaxed).oldValue, urgent: urgent, leaves: leaves)
    }

    /// The fetch at `place` is over: its leaves no longer count as work left.
    func forget(_ place: Place) {
        let counted = place.counted.exchange(0, ordering: .relaxed)
        if counted != 0 { gate.withState { $0.waitingLeaves -= counted } }
    }

    /// A reader now waits on the fetch at `place`: it starts before any fetch no reader waits on.
    func promote(_ place: Place) {
        guard !place.urgent.load(ordering: .relaxed) else { return }
        let movedAhead = gate.withState { s in
            place.urgent.store(true, ordering: .relaxed)
            let moved = s.waiting.filter { $0.place === place }
            guard !moved.isEmpty else { return false }
            s.waiting.removeAll { $0.place === place }
            s.waiting.insert(contentsOf: moved, at: s.waiting.insertionIndex(for: place))
            return true
        }
        // The promoted fetch may now be first in line (a running one has nothing to wake).
        if movedAhead { gate.update { _ in } }
    }

    /// The fetches waiting for a slot now.
    var waitingCount: Int { gate.withState { $0.waiting.count } }

    /// Counts leaves sequential readers will ask for (`delta` > 0) or no longer will.
    func expect(_ delta: Int) { expectedLeaves.add(delta, ordering: .relaxed) }

    /// Waits for a slot for a fetch of `leaves`. The grant tells the work left besides it, in
    /// leaves: what the fetches running have yet to bring (from how long they have run, on the
    /// link as measured; half of them before it is), the fetches waiting, and what sequential
    /// readers will ask for.
    func acquire(leaves: Int = 1) async -> Grant {
        let place = Self.place ?? takePlace()
        let counted = place.counted.exchange(0, ordering: .relaxed)
        gate.withState { s in
            s.waiting.insert(Waiter(place: place, leaves: leaves), at: s.waiting.insertionIndex(for: place))
            s.waitingLeaves += leaves - counted
        }
        let (id, inLine, others, link) = await gate.wait {
            (s: inout Slots) -> (UInt64, Int, Int, LinkSpeed.Estimate?)? in
            guard s.available > 0, s.waiting.first?.place === place else { return nil }
            s.available -= 1
            // As the slot is granted: a wait in line may be long, and the link measured meanwhile.
            let link = self.linkSpeed?.estimate
            // A node's pieces share a place: take out this fetch's own entry.
            let own = s.waiting.firstIndex { $0.place === place && $0.leaves == leaves } ?? 0
            s.waitingLeaves -= s.waiting.remove(at: own).leaves
            let now = ContinuousClock.now
            var runningLeft = 0.0
            for r in s.running.values {
                // The share of it done, by time on the measured link; half before it is measured.
                let done = link.map { (now - r.started) / .seconds(1) / max($0.seconds(forLeaves: r.leaves), 1e-6) }
                runningLeft += Double(r.leaves) * max(0, 1 - (done ?? 0.5))
            }
            let id = s.nextGrant
            s.nextGrant += 1
            let others = s.running.count
            s.running[id] = Running(leaves: leaves, started: now)
            return (id, s.waitingLeaves + Int(runningLeft.rounded()), others, link)
        }
        // The next in line may be able to start too: it slept while this one was first.
        gate.update { _ in }
        return Grant(
            id: id, leaves: leaves, workLeft: inLine + max(0, expectedLeaves.load(ordering: .relaxed)), link: link,
            othersInFlight: others)
    }

    /// Gives back the slot of a fetch that was cut: its pieces wait in line at its place, and
    /// count as waiting from now on.
    func putBack(_ grant: Grant, at place: Place) {
        place.counted.add(grant.leaves, ordering: .relaxed)
        gate.update { s in
            s.available += 1
            s.running[grant.id] = nil
            s.waitingLeaves += grant.leaves
        }
    }

    /// Gives back a slot.
    func release(_ grant: Grant) {
        gate.update { s in
            s.available += 1
            s.running[grant.id] = nil
        }
    }
}

extension Array where Element == FetchLimiter.Waiter {
    /// Where a waiter at `place` goes: after every waiter that starts before it or shares it.
    fileprivate func insertionIndex(for place: FetchLimiter.Place) -> Int {
        var low = 0
        var high = count
        while low < high {
            let mid = (low + high) / 2
            if place.startsBefore(self[mid].place) { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
