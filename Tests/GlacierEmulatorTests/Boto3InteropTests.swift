import Foundation
import GlacierEmulator
import Testing

/// boto3 drives a signed emulator through every operation; the script checks each answer against
/// botocore's own `calculate_tree_hash` (see Scripts/boto3_interop.py).
@Suite struct Boto3InteropTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Scripts/boto3_interop.py").path

    @Test(.enabled(if: ExternalTool.boto3.runsHere, ExternalTool.boto3.skipNote))
    func boto3ScenarioAgreesWithBotocoreTreeHash() async throws {
        try ExternalTool.boto3.require()
        try await withEmulator(signed: true) { server, _ in
            var env = AWSCLI(endpoint: server.endpoint).environment
            env["PYTHONDONTWRITEBYTECODE"] = "1"
            let result = try await Subprocess.run(
                ["python3", Self.script, server.endpoint, TestKeys.accessKey, TestKeys.secretKey, TestKeys.region],
                environment: env, timeout: 300)  // generous: a loaded 2-core CI machine, not a speed test
            let lastLine = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
            // No report (the script died): the failure below then shows its stdout and stderr.
            let report = (try? JSONSerialization.jsonObject(with: Data(lastLine.utf8))) as? [String: Any]
            let failures = report?["failures"] as? [String] ?? ["no report: \(result.stdout) \(result.stderr)"]
            #expect(failures.isEmpty, "\(failures)")
            #expect((report?["checks"] as? Int ?? 0) >= 60)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(server.statistics().requests["GetJobOutput", default: 0] >= 15)
        }
    }
}
