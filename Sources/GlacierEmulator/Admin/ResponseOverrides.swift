import Synchronization

/// A canned response that replaces the next answers to one operation, byte for byte.
public struct ResponseOverride: Sendable, Equatable {
    public var status: Int
    /// Sent as given, in order. A Content-Length is added only when absent.
    public var headers: [String: String]
    public var body: String
    /// How many responses to replace.
    public var count: Int

    public init(status: Int, headers: [String: String] = [:], body: String = "", count: Int = 1) {
        self.status = status
        self.headers = headers
        self.body = body
        self.count = count
    }
}

/// Queues of pending overrides by operation name.
final class ResponseOverrideQueue: Sendable {
    private let queues = Mutex<[String: [ResponseOverride]]>([:])

    func add(_ override: ResponseOverride, operation: String) {
        guard override.count > 0 else { return }
        queues.withLock { $0[operation, default: []].append(override) }
    }

    /// The override for the next response to `operation`, if one is pending.
    func take(operation: String) -> ResponseOverride? {
        queues.withLock { q in
            guard var list = q[operation], !list.isEmpty else { return nil }
            let first = list[0]
            if first.count <= 1 { list.removeFirst() } else { list[0].count -= 1 }
            q[operation] = list.isEmpty ? nil : list
            return first
        }
    }

    func clear() { queues.withLock { $0 = [:] } }
}
