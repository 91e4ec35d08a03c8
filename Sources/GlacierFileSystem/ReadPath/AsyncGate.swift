import DequeModule
import Synchronization

/// Shared state that tasks wait on until a condition over it holds: the one waiting primitive of
/// the read path (the buffer pool, the fetch limit and the write backlog are each one of these).
///
/// `wait(until:)` runs its attempt under the lock; when the attempt returns nil the task sleeps
/// until the next `update` wakes every sleeper to try again. Waking all is simple and fair
/// enough here: sleepers number at most the fetches in flight.
final class AsyncGate<State: Sendable>: Sendable {
    private let lock: Mutex<Guarded>

    struct Guarded {
        var value: State
        var sleepers = Deque<@Sendable () -> Void>()
    }

    init(_ initial: State) { lock = Mutex(Guarded(value: initial)) }

    /// Waits until `attempt` returns a value, and returns it. `attempt` runs under the lock and
    /// may change the state (take a slot, claim bytes).
    func wait<R: Sendable>(until attempt: @escaping (inout State) -> R?) async -> R {
        while true {
            let result: R? = await withCheckedContinuation { (c: CheckedContinuation<R?, Never>) in
                let ready = lock.withLock { g -> R? in
                    if let r = attempt(&g.value) { return r }
                    g.sleepers.append { c.resume(returning: nil) }
                    return nil
                }
                if let ready { c.resume(returning: ready) }
            }
            if let result { return result }
        }
    }

    /// Changes the state without waiting, and wakes every sleeper to try again.
    @discardableResult
    func update<R>(_ change: (inout State) -> R) -> R {
        let (result, sleepers) = lock.withLock { g -> (R, Deque<@Sendable () -> Void>) in
            let r = change(&g.value)
            defer { g.sleepers.removeAll() }
            return (r, g.sleepers)
        }
        for wake in sleepers { wake() }
        return result
    }

    /// Reads or changes the state without waking anyone.
    func withState<R>(_ body: (inout State) -> R) -> R { lock.withLock { body(&$0.value) } }
}
