import Synchronization

/// A fetch's hold on a connection: its slot in the fetch limiter, and its time among the fetches
/// in flight. Given back once, as the response ends: a streamed node's last leaves may still be
/// hashed and staged then, which needs no connection.
final class ConnectionUse: Sendable {
    private let limiter: FetchLimiter
    private let grant: FetchLimiter.Grant
    private let statistics: ReadStatistics
    private let started = ContinuousClock.now
    private let over = Atomic<Bool>(false)

    /// Counts the fetch in flight from now.
    init(_ grant: FetchLimiter.Grant, of limiter: FetchLimiter, statistics: ReadStatistics) {
        self.limiter = limiter
        self.grant = grant
        self.statistics = statistics
        statistics.fetchStarted()
    }

    /// Gives the connection back; later calls do nothing.
    func end() {
        guard !over.exchange(true, ordering: .relaxed) else { return }
        statistics.fetchEnded(after: ContinuousClock.now - started)
        limiter.release(grant)
    }
}
