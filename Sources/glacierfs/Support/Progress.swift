import Foundation
import Synchronization

/// Progress for long-running work: a redrawn line with a spinner or bar on a terminal, plain
/// lines (at most every few seconds) otherwise, so logs stay readable.
final class ProgressDisplay: Sendable {
    let isTerminal: Bool
    private let state = Mutex(State())
    private static let frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]

    struct State {
        var frame = 0
        var lastPlain = Date.distantPast
        var lastLine = ""
        var active = false
    }

    init(forceTerminal: Bool? = nil) {
        isTerminal = forceTerminal ?? (isatty(1) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb")
    }

    /// A status line with a spinner (or, given a fraction, a bar).
    func update(_ message: String, fraction: Double? = nil) {
        if isTerminal {
            let line: String = state.withLock { s in
                s.frame = (s.frame + 1) % Self.frames.count
                s.active = true
                if let fraction { return "\(Self.bar(fraction)) \(message)" }
                return "\(Self.frames[s.frame]) \(message)"
            }
            Self.write("\r\u{1B}[2K" + line)
        } else {
            let due: Bool = state.withLock { s in
                guard Date().timeIntervalSince(s.lastPlain) >= 5 || s.lastLine.isEmpty else { return false }
                s.lastPlain = Date()
                s.lastLine = message
                return true
            }
            if due { Self.write(message + "\n") }
        }
    }

    /// Ends the status line with a final message.
    func finish(_ message: String) {
        if isTerminal {
            let wasActive = state.withLock { s -> Bool in
                defer { s.active = false }
                return s.active
            }
            Self.write((wasActive ? "\r\u{1B}[2K" : "") + message + "\n")
        } else {
            Self.write(message + "\n")
        }
    }

    /// A line of its own, above any status line.
    func say(_ message: String) {
        if isTerminal && state.withLock({ $0.active }) { Self.write("\r\u{1B}[2K") }
        Self.write(message + "\n")
    }

    static func bar(_ fraction: Double, width: Int = 24) -> String {
        let clamped = max(0, min(1, fraction))
        let filled = Int((clamped * Double(width)).rounded(.down))
        return "[" + String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled) + "]"
            + String(format: " %3.0f%%", clamped * 100)
    }

    private static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
