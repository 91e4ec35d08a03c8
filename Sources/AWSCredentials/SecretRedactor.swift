import AWSSigning
import Synchronization

/// Remembers every secret this process has resolved and scrubs them from text before it is
/// logged or shown. A second line of defence: no code path is meant to print one anyway.
public final class SecretRedactor: Sendable {
    public static let shared = SecretRedactor()

    private let secrets = Mutex<Set<String>>([])

    public init() {}

    public func register(_ credentials: AWSCredentialSet) {
        secrets.withLock { set in
            for s in credentials.secrets where s.count >= 4 { set.insert(s) }
        }
    }

    public func redact(_ text: String) -> String {
        let known = secrets.withLock { $0 }
        guard !known.isEmpty else { return text }
        var out = text
        for s in known where out.contains(s) {
            out = out.replacingOccurrences(of: s, with: "[REDACTED]")
        }
        return out
    }
}
