import AWSCredentials
import ArgumentParser
import Foundation
import Logging
import Synchronization

/// Log lines to a stream (stderr in the foreground, the log file when daemonized), with every
/// known secret scrubbed out before it is written.
struct RedactingLogHandler: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    let label: String
    let sink: LogSink

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let time = ISO8601DateFormatter.string(from: Date(), timeZone: .gmt, formatOptions: [.withInternetDateTime])
        var line = "\(time) \(event.level) \(label): \(event.message)"
        if !fields.isEmpty { line += " [\(fields)]" }
        sink.write(SecretRedactor.shared.redact(line) + "\n")
    }

    static func bootstrap(level: Logger.Level, sink: LogSink = .standardError) {
        LoggingSystem.bootstrap { label in RedactingLogHandler(logLevel: level, label: label, sink: sink) }
    }
}

/// Where log lines go; writes are serialised so lines never interleave.
final class LogSink: Sendable {
    private let fd: Int32
    private let lock = Mutex(())

    init(fd: Int32) { self.fd = fd }

    static let standardError = LogSink(fd: 2)

    func write(_ text: String) {
        lock.withLock { _ in
            var bytes = Array(text.utf8)
            var offset = 0
            while offset < bytes.count {
                let n = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
                if n <= 0 { break }
                offset += n
            }
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
