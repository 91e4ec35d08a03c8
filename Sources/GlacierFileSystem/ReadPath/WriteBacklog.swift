import Synchronization

/// Bytes handed to the cache writers and not yet on disk. New fetches wait while it is over its
/// limit, so a disk slower than the network slows the downloads down instead of filling memory
/// with leaves waiting to be written, which would push out prefetched leaves not yet read.
final class WriteBacklog: Sendable {
    let limit: Int
    private let state = Mutex(BacklogState())

    struct BacklogState {
        var bytes = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    init(limit: Int) { self.limit = limit }

    func add(_ count: Int) { state.withLock { $0.bytes += count } }

    func remove(_ count: Int) {
        let ready = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.bytes -= count
            guard s.bytes <= limit else { return [] }
            defer { s.waiters = [] }
            return s.waiters
        }
        for waiter in ready { waiter.resume() }
    }

    /// Returns once the backlog is within its limit.
    func waitForRoom() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s.bytes <= limit { return true }
                s.waiters.append(c)
                return false
            }
            if now { c.resume() }
        }
    }
}
