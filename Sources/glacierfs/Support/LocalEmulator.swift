import AWSSigning
import Foundation

/// A private Glacier service for the demo and the benchmark: a `glacier-emulator` on 127.0.0.1,
/// with jobs that complete at once and fresh random credentials that exist only in its
/// environment and ours.
struct LocalEmulator: Sendable {
    let pid: pid_t
    let endpoint: String
    let credentials: AWSCredentialSet

    /// The region the emulator expects in signatures; it is passed everywhere, so an AWS_REGION
    /// in the user's environment does not matter.
    static let region = "us-east-1"

    static func start(layout: DemoLayout, timeout: Double = 30) throws -> LocalEmulator {
        try start(dataDirectory: layout.emulatorData, logFile: layout.emulatorLog, timeout: timeout)
    }

    static func start(dataDirectory: String, logFile: String, timeout: Double = 30) throws -> LocalEmulator {
        guard let executable = ChildProcesses.locate("glacier-emulator") else {
            throw UserFacingError(
                "cannot find glacier-emulator next to \(ChildProcesses.selfExecutable) or on PATH. "
                    + "Install it beside glacierfs (mount-helpers/install.sh does), or build both with `swift build`.")
        }
        let credentials = randomCredentials()
        var environment = ProcessInfo.processInfo.environment
        environment["GLACIER_EMULATOR_ACCESS_KEY"] = credentials.accessKeyId
        environment["GLACIER_EMULATOR_SECRET_KEY"] = credentials.secretAccessKey
        let arguments = [
            "--listen", "127.0.0.1:0", "--job-delay", "0", "--data-dir", dataDirectory,
            "--region", region, "--log-level", "warning",
        ]
        let pid = try ChildProcesses.spawn(executable, arguments, environment: environment, logFile: logFile)
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let log = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
            if let endpoint = listeningEndpoint(in: log) {
                return LocalEmulator(pid: pid, endpoint: endpoint, credentials: credentials)
            }
            if !ChildProcesses.isAlive(pid) { break }
            usleep(20_000)
        }
        ChildProcesses.terminate(pid, grace: 2)
        let tail = ((try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "")
            .split(separator: "\n").suffix(5).joined(separator: "\n")
        throw UserFacingError(
            "the Glacier emulator (\(executable)) did not start within \(Int(timeout)) s"
                + (tail.isEmpty ? "." : "; its output ends with:\n\(tail)")
                + "\nCheck that 127.0.0.1 is usable and the disk is not full, then try again.")
    }

    /// The endpoint from the emulator's one stdout line, `listening on http://HOST:PORT`.
    static func listeningEndpoint(in log: String) -> String? {
        for line in log.split(separator: "\n") where line.hasPrefix("listening on http://") {
            let url = line.dropFirst("listening on ".count).trimmingCharacters(in: .whitespaces)
            if let port = URLComponents(string: url)?.port, port > 0 { return url }
        }
        return nil
    }

    /// Keys shaped like AWS's, from the system's secure random source.
    static func randomCredentials() -> AWSCredentialSet {
        let upper = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        let secret = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var generator = SystemRandomNumberGenerator()
        let key = "AKIDEMO" + String((0 ..< 13).map { _ in upper.randomElement(using: &generator)! })
        let value = String((0 ..< 40).map { _ in secret.randomElement(using: &generator)! })
        return AWSCredentialSet(accessKeyId: key, secretAccessKey: value)
    }

    /// The environment for `glacierfs mount` against this emulator: the demo's keys, and nothing
    /// from the user's AWS configuration that could override them.
    func clientEnvironment() -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for name in [
            "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION",
            "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        ] {
            environment.removeValue(forKey: name)
        }
        environment["AWS_ACCESS_KEY_ID"] = credentials.accessKeyId
        environment["AWS_SECRET_ACCESS_KEY"] = credentials.secretAccessKey
        environment["AWS_EC2_METADATA_DISABLED"] = "true"
        environment["AWS_CONFIG_FILE"] = "/dev/null"
        environment["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
        return environment
    }
}
