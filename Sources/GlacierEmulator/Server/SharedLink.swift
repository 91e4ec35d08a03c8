import Synchronization

/// One link shared by every connection: each chunk of a shaped body books its transfer time on
/// the link, in turn, so all connections together stay at or under the link's rate however many
/// there are.
final class SharedLink: Sendable {
    /// When the link finishes sending what was booked so far.
    private let busyUntil = Mutex<ContinuousClock.Instant>(.now)

    /// Books `bytes` at `bytesPerSecond`; returns when they will have gone out.
    func book(_ bytes: Int64, bytesPerSecond: Int64) -> ContinuousClock.Instant {
        let duration = Duration.seconds(Double(bytes) / Double(bytesPerSecond))
        return busyUntil.withLock { until in
            // An idle link earns no credit: bursts after a pause are paced like the rest.
            until = max(until, .now) + duration
            return until
        }
    }
}
