import Synchronization

/// Counters a running client keeps for status displays and benchmarks.
public final class ClientStatistics: Sendable {
    private let responses = Atomic<Int>(0)
    private let bytes = Atomic<Int>(0)
    private let retries = Atomic<Int>(0)
    private let gaveUp = Atomic<Int>(0)

    func recordResponse(bytes n: Int) {
        responses.add(1, ordering: .relaxed)
        bytes.add(n, ordering: .relaxed)
    }

    func recordRetry() { retries.add(1, ordering: .relaxed) }
    func recordGaveUp() { gaveUp.add(1, ordering: .relaxed) }

    public var responseCount: Int { responses.load(ordering: .relaxed) }
    /// Body bytes received from the service, including responses later rejected.
    public var bytesReceived: Int { bytes.load(ordering: .relaxed) }
    public var retryCount: Int { retries.load(ordering: .relaxed) }
    /// Operations that failed after retrying.
    public var exhaustedCount: Int { gaveUp.load(ordering: .relaxed) }
}
