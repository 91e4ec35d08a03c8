/// Memory for node buffers, within a budget. Freed buffers are kept for reuse (fresh memory costs
/// a page fault per 4 KiB), and when the budget is reached it first drops verified leaves held in
/// memory, then makes fetches wait.
final class BufferPool: Sendable {
    let budget: Int
    private let gate = AsyncGate(PoolState())
    private let reclaim: @Sendable () -> Bool
    private let reclaimRead: @Sendable () -> Bool

    struct PoolState: Sendable {
        var allocated = 0
        var free: [Int: [IdleMemory]] = [:]
        var peakAllocated = 0
        /// When a buffer was last handed out: an idle pool gives its free memory back.
        var lastUse = ContinuousClock.now
        /// See `overdraft(forReadahead:)`.
        var overdraft = BufferPool.defaultOverdraft
    }

    /// - Parameters:
    ///   - reclaim: drops one held leaf, returning false when there is none left.
    ///   - reclaimRead: the same, but only a leaf a reader has had.
    init(
        budget: Int, reclaim: @escaping @Sendable () -> Bool,
        reclaimRead: @escaping @Sendable () -> Bool = { false }
    ) {
        self.budget = budget
        self.reclaim = reclaim
        self.reclaimRead = reclaimRead
        // Waiters are woken now and then even when no memory comes back, so a long wait can take
        // the overdraft (see `patience`).
        Task.detached { [weak self] in
            while let pool = self {
                pool.gate.update { _ in }
                if ContinuousClock.now - pool.gate.withState({ $0.lastUse }) > Self.idleRelease {
                    pool.releaseIdle()
                }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// How long the pool may sit unused before its free memory goes back to the kernel: a mount
    /// that finished a copy should not keep the copy's buffers for the rest of its life.
    static let idleRelease: Duration = .seconds(10)

    /// Gives every free buffer back to the kernel, so RSS falls to what is held.
    func releaseIdle() {
        let idle = gate.update { s -> [IdleMemory] in
            let all = s.free.values.flatMap { $0 }
            s.free = [:]
            s.allocated -= all.reduce(0) { $0 + $1.capacity }
            return all
        }
        for memory in idle { PageMemory.free(memory.pointer, memory.capacity) }
    }

    /// How long a fetch waits for memory before it may go over the budget (by at most
    /// `overdraft`). Memory held by reads in progress cannot be reclaimed: a kernel read that has
    /// some of its leaves and waits for one whose fetch waits for memory would otherwise wait on
    /// itself, however unlikely the whole budget being held that way is.
    static let patience: Duration = .milliseconds(500)

    var allocatedBytes: Int { gate.withState { $0.allocated } }
    var peakBytes: Int { gate.withState { $0.peakAllocated } }

    /// `count` buffers of `capacity` bytes, all at once: taking them one by one could leave
    /// several fetches each holding part of what they need, waiting on each other for the rest.
    func acquire(count: Int, capacity: Int) async -> [NodeBuffer] {
        let started = ContinuousClock.now
        while true {
            if let buffers = tryAcquire(count: count, capacity: capacity) { return buffers }
            if reclaim() { continue }
            let overdrawn = await gate.wait { [budget] s -> Bool? in
                if Self.room(in: s, budget: budget, capacity: capacity) >= count { return false }
                return Self.overdraw(&s, bytes: count * capacity, budget: budget, since: started) ? true : nil
            }
            if overdrawn {
                return (0 ..< count).map { _ in
                    NodeBuffer(base: PageMemory.allocate(capacity), capacity: capacity, pool: self)
                }
            }
        }
    }

    /// Takes `bytes` over the budget, within the overdraft, once a waiter has been patient enough.
    private static func overdraw(
        _ s: inout PoolState, bytes: Int, budget: Int, since started: ContinuousClock.Instant
    ) -> Bool {
        guard ContinuousClock.now - started > patience, s.allocated + bytes <= budget + s.overdraft else {
            return false
        }
        s.allocated += bytes
        s.peakAllocated = max(s.peakAllocated, s.allocated)
        return true
    }

    private static func room(in s: PoolState, budget: Int, capacity: Int) -> Int {
        (s.free[capacity]?.count ?? 0) + max(0, budget - s.allocated) / capacity
    }

    private func tryAcquire(count: Int, capacity: Int) -> [NodeBuffer]? {
        let (reused, fresh) =
            gate.withState { s -> ([IdleMemory], Int)? in
                guard Self.room(in: s, budget: budget, capacity: capacity) >= count else { return nil }
                s.lastUse = .now
                let reuse = Array((s.free[capacity] ?? []).suffix(count))
                s.free[capacity]?.removeLast(reuse.count)
                let fresh = count - reuse.count
                s.allocated += fresh * capacity
                s.peakAllocated = max(s.peakAllocated, s.allocated)
                return (reuse, fresh)
            } ?? ([], -1)
        guard fresh >= 0 else { return nil }
        return reused.map { NodeBuffer(base: $0.pointer, capacity: capacity, pool: self) }
            + (0 ..< fresh).map { _ in NodeBuffer(base: PageMemory.allocate(capacity), capacity: capacity, pool: self) }
    }

    /// A buffer of `capacity` bytes, waiting for memory if the budget is spent.
    func acquire(capacity: Int) async -> NodeBuffer {
        let started = ContinuousClock.now
        while true {
            if let buffer = tryAcquire(capacity: capacity) { return buffer }
            if reclaim() { continue }
            let overdrawn = await gate.wait { [budget] s -> Bool? in
                if s.allocated + capacity <= budget || !(s.free[capacity]?.isEmpty ?? true) { return false }
                return Self.overdraw(&s, bytes: capacity, budget: budget, since: started) ? true : nil
            }
            if overdrawn { return NodeBuffer(base: PageMemory.allocate(capacity), capacity: capacity, pool: self) }
        }
    }

    /// How far reads that cannot wait (disk readbacks on a kernel thread's request) may go over
    /// the budget while fetches hold all of it: what the kernel's reads in progress can hold,
    /// twice its readahead for a reader that asked for sequential reading. An overdraft of 16 MiB
    /// under a 16 MiB readahead hung 1 cold copy in 8, the memory spent and nothing in flight.
    static func overdraft(forReadahead bytes: Int) -> Int { 2 * bytes }

    /// For a mount's usual readahead, 8 MiB (`FUSEMountOptions.defaultReadaheadBytes`).
    static let defaultOverdraft = overdraft(forReadahead: 8 << 20)

    /// Sizes the overdraft for the mount's readahead, once it is chosen.
    func allowOverdraft(forReadahead bytes: Int) {
        gate.update { $0.overdraft = Self.overdraft(forReadahead: bytes) }
    }

    /// A buffer now: within the budget if dropping held leaves makes room, else over it by at
    /// most `overdraft`; beyond that, nil (the caller waits or takes a slower path).
    func acquireNow(capacity: Int) -> NodeBuffer? {
        while true {
            if let buffer = tryAcquire(capacity: capacity) { return buffer }
            if reclaim() { continue }
            let withinOverdraft = gate.withState { $0.allocated + capacity <= budget + $0.overdraft }
            return withinOverdraft ? tryAcquire(capacity: capacity, evenOverBudget: true) : nil
        }
    }

    /// A buffer now, within the budget, dropping leaves readers have had to make room if need
    /// be (never ones still waiting for their reader); nil when none can be had. Never waits, so
    /// it serves the transport's thread.
    func tryAcquireReclaiming(capacity: Int) -> NodeBuffer? {
        while true {
            if let buffer = tryAcquire(capacity: capacity) { return buffer }
            if !reclaimRead() { return nil }
        }
    }

    /// A buffer now, or nil when the budget is spent. With `evenOverBudget`, allocates anyway.
    func tryAcquire(capacity: Int, evenOverBudget: Bool = false) -> NodeBuffer? {
        enum Step { case reuse(IdleMemory), allocate, release(IdleMemory), full }
        while true {
            let step: Step = gate.withState { s in
                s.lastUse = .now
                if let p = s.free[capacity]?.popLast() { return .reuse(p) }
                if s.allocated + capacity <= budget || evenOverBudget {
                    s.allocated += capacity
                    s.peakAllocated = max(s.peakAllocated, s.allocated)
                    return .allocate
                }
                // Free memory of other sizes before refusing.
                if let (size, list) = s.free.first(where: { !$0.value.isEmpty }), let p = list.last {
                    s.free[size]!.removeLast()
                    s.allocated -= size
                    return .release(p)
                }
                return .full
            }
            switch step {
            case .reuse(let p): return NodeBuffer(base: p.pointer, capacity: capacity, pool: self)
            case .allocate:
                return NodeBuffer(base: PageMemory.allocate(capacity), capacity: capacity, pool: self)
            case .release(let p): PageMemory.free(p.pointer, p.capacity)
            case .full: return nil
            }
        }
    }

    /// Called when a NodeBuffer dies: keep the memory for reuse, or free it if over budget.
    func giveBack(_ pointer: UnsafeMutableRawPointer, capacity: Int) {
        let freeIt = gate.update { s -> Bool in
            if s.allocated > budget {
                s.allocated -= capacity
                return true
            }
            s.free[capacity, default: []].append(IdleMemory(pointer: pointer, capacity: capacity))
            return false
        }
        if freeIt { PageMemory.free(pointer, capacity) }
    }
}

/// A buffer waiting in the pool's free list.
struct IdleMemory: @unchecked Sendable {  // Raw memory with exactly one owner: the pool, until reused.
    let pointer: UnsafeMutableRawPointer
    let capacity: Int
}
