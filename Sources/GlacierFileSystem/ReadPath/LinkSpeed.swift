import GlacierClient
import GlacierIntegrity
import Synchronization

/// The link as fetches measured it: the wait for a response's first byte, and one connection's
/// rate after it. Every request spends one wait before it carries data, so for a connection to
/// carry data `efficiency` of the time, a node must take that many waits to arrive: latency ×
/// rate (the bandwidth-delay product) × efficiency ÷ (1 − efficiency) bytes.
final class LinkSpeed: Sendable {
    /// The share of a connection's time spent carrying data that node sizes aim at.
    static let efficiency = 0.9
    /// Below this wait, nodes sized by memory keep connections busy (loopback, a LAN).
    static let slowLinkLatency = 0.02
    /// Samples before the estimate is used. One: a copy's window opens after its head read, and
    /// with two its plan depended on whether the second leaf's fetch had ended first (a cold
    /// `cp` then opened with half-size nodes, 0.1 s slower, in about one run in three).
    static let minimumSamples = 1
    /// Weight of the newest sample.
    static let weight = 0.2
    /// A fetch that started with at most this many others in flight measured the link, not the
    /// load we put on it (a copy's head read, and the kernel's readahead beside it).
    static let quietFetches = 1
    /// A quiet wait older than this no longer speaks for the link (a route may have changed while
    /// long copies kept every connection busy); then every fetch's wait counts again.
    static let quietLifetime = Duration.seconds(60)

    private let state = Mutex(State())

    struct State {
        var latency = 0.0
        var rate = 0.0
        var samples = 0
        /// The wait as fetches measured it with few others in flight, and when it last did.
        var quietLatency: Double?
        var quietAt: ContinuousClock.Instant?
    }

    /// Takes a fetch's timings, if the transport measured them; `othersInFlight` is how many
    /// fetches were under way when it started.
    func record(
        _ checked: VerifiedOutputRange, bytes: Int, othersInFlight: Int, at now: ContinuousClock.Instant = .now
    ) {
        guard let first = checked.firstByteSeconds, let total = checked.totalSeconds, first >= 0, total > first,
            bytes >= TreeHash.leafSize
        else { return }
        let rate = Double(bytes) / (total - first)
        state.withLock { s in
            if s.samples == 0 {
                s.latency = first
                s.rate = rate
            } else {
                s.latency += Self.weight * (first - s.latency)
                s.rate += Self.weight * (rate - s.rate)
            }
            s.samples += 1
            if othersInFlight <= Self.quietFetches {
                s.quietLatency = s.quietLatency.map { $0 + Self.weight * (first - $0) } ?? first
                s.quietAt = now
            }
        }
    }

    /// The link as measured: the wait (seconds) and per-connection rate (bytes a second).
    struct Estimate: Sendable {
        let latency: Double
        let rate: Double
        /// The wait with few fetches in flight (`latency` when none was measured so lately).
        let quietLatency: Double

        /// How long a request for `leaves` takes.
        func seconds(forLeaves leaves: Int) -> Double {
            latency + Double(leaves) * Double(TreeHash.leafSize) / rate
        }

        /// The leaves one connection could carry in the time a request waits for its first byte.
        var latencyLeaves: Double { latency * rate / Double(TreeHash.leafSize) }

        /// Whether round trips cost more than nodes sized by memory can hide. Judged by the quiet
        /// wait: a fast link's wait grows with the load we put on it (a cold copy over loopback
        /// waited over 20 ms for its first bytes, and streamed its nodes through the disk for
        /// nothing: 25 % slower, with 10 % more CPU), while a long link's does not fall below its
        /// round trip.
        var isSlow: Bool { quietLatency >= LinkSpeed.slowLinkLatency }

        /// The leaves a node needs to keep its connection busy `efficiency` of the time; nil on a
        /// link too fast to need more than memory gives.
        var wantedNodeLeaves: Int? {
            guard isSlow else { return nil }
            return max(1, Int((latencyLeaves * LinkSpeed.efficiency / (1 - LinkSpeed.efficiency)).rounded(.up)))
        }
    }

    /// The link as measured, once known.
    var estimate: Estimate? { estimate(at: .now) }

    func estimate(at now: ContinuousClock.Instant) -> Estimate? {
        state.withLock { s in
            guard s.samples >= Self.minimumSamples else { return nil }
            let fresh = s.quietAt.map { now - $0 < Self.quietLifetime } ?? false
            return Estimate(
                latency: s.latency, rate: s.rate, quietLatency: fresh ? s.quietLatency ?? s.latency : s.latency)
        }
    }
}
