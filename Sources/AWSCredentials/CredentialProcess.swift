import AWSSigning
import Foundation
import Synchronization

/// Runs a profile's `credential_process` and reads the JSON it prints
/// (`{"Version": 1, "AccessKeyId": ..., "SecretAccessKey": ..., "SessionToken": ..., "Expiration": ...}`).
struct CredentialProcess {
    let command: String
    var timeoutSeconds: Double = 60

    struct Output: Decodable {
        var Version: Int
        var AccessKeyId: String
        var SecretAccessKey: String
        var SessionToken: String?
        var Expiration: String?
    }

    /// What errors show of the command: never its arguments (see `SecretRedactor.commandSummary`).
    var shownCommand: String { SecretRedactor.commandSummary(command) }

    func run() async throws -> AWSCredentialSet {
        let (status, stdout, stderr) = try await Self.execute(command, timeout: timeoutSeconds)
        guard status == 0 else {
            let firstLine = String(decoding: stderr, as: UTF8.self).split(whereSeparator: \.isNewline).first ?? ""
            let shown = SecretRedactor.shared.redact(String(firstLine), alsoHiding: command)
            throw CredentialError.processFailed(
                command: shownCommand,
                reason: "exit status \(status)" + (shown.isEmpty ? "" : ": \(shown)"))
        }
        let output: Output
        do {
            output = try JSONDecoder().decode(Output.self, from: Data(stdout))
        } catch {
            throw CredentialError.processFailed(
                command: shownCommand,
                reason: "its output is not the expected JSON "
                    + "(Version, AccessKeyId, SecretAccessKey, SessionToken, Expiration)")
        }
        guard output.Version == 1 else {
            throw CredentialError.processFailed(
                command: shownCommand, reason: "unsupported Version \(output.Version); expected 1")
        }
        var expiration: Date?
        if let text = output.Expiration {
            guard let date = ExpirationDate.parse(text) else {
                throw CredentialError.processFailed(
                    command: shownCommand, reason: "Expiration '\(text)' is not an ISO 8601 time")
            }
            expiration = date
        }
        return AWSCredentialSet(
            accessKeyId: output.AccessKeyId, secretAccessKey: output.SecretAccessKey,
            sessionToken: output.SessionToken, expiration: expiration)
    }

    /// Runs `/bin/sh -c command` off the cooperative thread pool, so a slow helper blocks nothing.
    static func execute(_ command: String, timeout: Double) async throws -> (Int32, [UInt8], [UInt8]) {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/bin/sh")
                process.arguments = ["-c", command]
                let out = Pipe(), err = Pipe()
                process.standardOutput = out
                process.standardError = err
                process.standardInput = FileHandle.nullDevice
                do {
                    try process.run()
                } catch {
                    continuation.resume(
                        throwing: CredentialError.processFailed(
                            command: SecretRedactor.commandSummary(command),
                            reason: SecretRedactor.shared.redact("\(error)", alsoHiding: command)))
                    return
                }
                // SIGKILL: the helper may have inherited a mask that blocks SIGTERM.
                let pid = process.processIdentifier
                let timer = DispatchWorkItem { if process.isRunning { kill(pid, SIGKILL) } }
                DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: timer)
                // Read stderr on another thread so neither pipe can fill and stall the process.
                let errData = Mutex<Data>(Data())
                let errDone = DispatchSemaphore(value: 0)
                Thread.detachNewThread {
                    errData.withLock { $0 = err.fileHandleForReading.readDataToEndOfFile() }
                    errDone.signal()
                }
                let outData = out.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                timer.cancel()
                errDone.wait()
                continuation.resume(
                    returning: (process.terminationStatus, Array(outData), Array(errData.withLock { $0 })))
            }
        }
    }
}

/// The ISO 8601 forms AWS uses for credential expiry.
enum ExpirationDate {
    static func parse(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = formatter.date(from: text) { return d }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}
