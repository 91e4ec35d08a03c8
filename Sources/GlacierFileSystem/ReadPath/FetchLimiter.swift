import DequeModule
import Synchronization

/// Caps how many GetJobOutput requests run at once, across all outputs.
final class FetchLimiter: Sendable {
    private let state: Mutex<LimiterState>

    struct LimiterState {
        var available: Int
        var waiters = Deque<CheckedContinuation<Void, Never>>()
    }

    init(slots: Int) { state = Mutex(LimiterState(available: max(1, slots))) }

    func acquire() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let granted = state.withLock { s -> Bool in
                if s.available > 0 {
                    s.available -= 1
                    return true
                }
                s.waiters.append(c)
                return false
            }
            if granted { c.resume() }
        }
    }

    func release() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if let next = s.waiters.popFirst() { return next }
            s.available += 1
            return nil
        }
        next?.resume()
    }
}
