import Synchronization

/// What the emulator has served: requests by operation and response body bytes.
public struct EmulatorStatistics: Sendable, Equatable {
    /// API requests by operation name (`ListVaults`, `GetJobOutput`, ...); `Admin` for the admin API
    /// and `Unknown` for requests that matched no operation.
    public var requests: [String: Int]
    /// Response body bytes handed to the network (partial bodies count what was sent).
    public var bytesServed: Int64
    /// The same bytes by operation (e.g. `GetJobOutput`: job output actually sent).
    public var bytesByOperation: [String: Int64]
    public var faults: FaultCounters
}

/// Thread-safe counters behind `EmulatorStatistics`.
final class StatisticsRecorder: Sendable {
    private struct Counts {
        var requests: [String: Int] = [:]
        var bytesServed: Int64 = 0
        var bytesByOperation: [String: Int64] = [:]
    }

    private let counts = Mutex(Counts())

    func countRequest(_ operation: String) {
        counts.withLock { $0.requests[operation, default: 0] += 1 }
    }

    func addBytesServed(_ n: Int64, operation: String?) {
        guard n > 0 else { return }
        counts.withLock {
            $0.bytesServed += n
            if let operation { $0.bytesByOperation[operation, default: 0] += n }
        }
    }

    func reset() { counts.withLock { $0 = Counts() } }

    func snapshot(faults: FaultCounters) -> EmulatorStatistics {
        counts.withLock {
            EmulatorStatistics(
                requests: $0.requests, bytesServed: $0.bytesServed,
                bytesByOperation: $0.bytesByOperation, faults: faults)
        }
    }
}
