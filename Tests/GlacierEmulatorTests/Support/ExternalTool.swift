import Foundation
import GlacierTestSupport
import Synchronization
import Testing

/// A program some tests drive (the AWS CLI, boto3), found by running it, not by its name on PATH
/// (a pyenv shim exists for a tool the active Python lacks). In CI (`CI` set; `.ci/run` sets it)
/// a missing tool fails the test; elsewhere the test is skipped, and the runner prints why.
struct ExternalTool: Sendable {
    let name: String
    let probe: [String]
    let install: String

    static let awsCLI = ExternalTool(
        name: "the AWS CLI (aws)", probe: ["aws", "--version"],
        install: "pip install awscli, or bash mount-helpers/install-deps.sh")
    static let boto3 = ExternalTool(
        name: "boto3", probe: ["python3", "-c", "import boto3"],
        install: "pip install boto3, or bash mount-helpers/install-deps.sh")

    static let inCI = !(ProcessInfo.processInfo.environment["CI"] ?? "").isEmpty

    /// Whether the probe ran and exited 0; probed once per tool.
    var isAvailable: Bool {
        Self.probed.withLock { cache in
            if let known = cache[name] { return known }
            let found = ((try? Command.run("/usr/bin/env", probe, timeout: 60))?.status ?? -1) == 0
            cache[name] = found
            return found
        }
    }

    /// For `.enabled(if:)`: run when the tool is here, and always in CI, where `require` then fails.
    var runsHere: Bool { isAvailable || Self.inCI }

    /// The skip reason the test runner prints.
    var skipNote: Comment {
        Comment(rawValue: "SKIPPED: \(name) is missing (\(install)); set CI=1 to make this a failure")
    }

    /// The first line of a test that needs the tool: throws a clear failure when it is missing.
    func require() throws {
        guard isAvailable else {
            throw TestFailure(
                "\(name) is required here (CI is set) but `\(probe.joined(separator: " "))` failed: \(install)")
        }
    }

    /// Probe results by tool name, shared by all tests of the run.
    private static let probed = Mutex<[String: Bool]>([:])
}
