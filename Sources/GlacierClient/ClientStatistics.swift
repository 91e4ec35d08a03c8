import Synchronization

/// Counters a running client keeps for status displays and benchmarks.
public final class ClientStatistics: Sendable {
    private let responses = Atomic<Int>(0)
    private let bytes = Atomic<Int>(0)
    private let retries = Atomic<Int>(0)
    private let gaveUp = Atomic<Int>(0)
    private let quickestAnswer = Mutex<Double?>(nil)

    func recordResponse(bytes n: Int) {
        responses.add(1, ordering: .relaxed)
        bytes.add(n, ordering: .relaxed)
    }

    /// Takes the wait for the first byte of an answer that carried no job output.
    func recordAnswer(firstByteSeconds: Double) {
        quickestAnswer.withLock { $0 = min($0 ?? firstByteSeconds, firstByteSeconds) }
    }

    func recordRetry() { retries.add(1, ordering: .relaxed) }
    func recordGaveUp() { gaveUp.add(1, ordering: .relaxed) }

    public var responseCount: Int { responses.load(ordering: .relaxed) }
    /// Body bytes received from the service, including responses later rejected.
    public var bytesReceived: Int { bytes.load(ordering: .relaxed) }
    public var retryCount: Int { retries.load(ordering: .relaxed) }
    /// The shortest wait for the first byte of an answer other than job output (listings, job
    /// descriptions): the service's round trip, known before any download measured the link.
    public var roundTripSeconds: Double? { quickestAnswer.withLock { $0 } }
    /// Operations that failed after retrying.
    public var exhaustedCount: Int { gaveUp.load(ordering: .relaxed) }
}
