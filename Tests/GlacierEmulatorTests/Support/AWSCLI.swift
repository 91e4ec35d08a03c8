import Foundation

/// Runs the real AWS CLI against an emulator, isolated from the user's configuration.
struct AWSCLI: Sendable {
    let endpoint: String
    var accessKey = TestKeys.accessKey
    var secretKey = TestKeys.secretKey
    var region = TestKeys.region
    /// Send unsigned requests (`--no-sign-request`).
    var unsigned = false

    var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("AWS_") }
        env["AWS_ACCESS_KEY_ID"] = accessKey
        env["AWS_SECRET_ACCESS_KEY"] = secretKey
        env["AWS_DEFAULT_REGION"] = region
        env["AWS_CONFIG_FILE"] = "/dev/null"
        env["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
        env["AWS_MAX_ATTEMPTS"] = "1"
        env["AWS_RETRY_MODE"] = "standard"
        env["AWS_EC2_METADATA_DISABLED"] = "true"
        return env
    }

    /// `aws glacier ARGS --endpoint-url ... --account-id -`; throws unless it exits 0.
    @discardableResult
    func glacier(_ arguments: String...) async throws -> [String: Any] {
        try await glacier(arguments)
    }

    @discardableResult
    func glacier(_ arguments: [String]) async throws -> [String: Any] {
        let result = try await run(arguments)
        guard result.status == 0 else {
            let command = arguments.joined(separator: " ")
            throw TestFailure("aws glacier \(command) failed (\(result.status)): \(result.stderr)")
        }
        let text = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { return [:] }
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw TestFailure("aws printed something that is not a JSON object: \(text)")
        }
        return object
    }

    /// Runs the CLI and returns whatever happened.
    func run(_ arguments: [String]) async throws -> Subprocess.Result {
        try ExternalTool.awsCLI.require()
        var argv = ["aws", "glacier"] + arguments
        argv += ["--endpoint-url", endpoint, "--account-id", "-", "--output", "json"]
        if unsigned { argv.append("--no-sign-request") }
        return try await Subprocess.run(argv, environment: environment, timeout: 60)
    }
}
