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

    /// A command line fit to show: the program's name only. Its arguments and any leading
    /// `NAME=value` assignments are left out, since a credential helper is often given a token.
    public static func commandSummary(_ command: String) -> String {
        let words = command.split(whereSeparator: \.isWhitespace)
        guard let program = words.first(where: { !$0.contains("=") }) else { return "(a shell command, hidden)" }
        let hidden = words.count - 1
        return "`\(program)`" + (hidden > 0 ? " (\(hidden) more word\(hidden == 1 ? "" : "s") hidden)" : "")
    }

    /// `text` without any word of `command` longer than 3 characters (a helper's error message
    /// may echo its own arguments) and without any secret this process knows.
    public func redact(_ text: String, alsoHiding command: String) -> String {
        var out = redact(text)
        for word in Set(command.split(whereSeparator: \.isWhitespace)).sorted(by: { $0.count > $1.count })
        where word.count > 3 {
            out = out.replacingOccurrences(of: String(word), with: "[REDACTED]")
        }
        return out
    }
}
