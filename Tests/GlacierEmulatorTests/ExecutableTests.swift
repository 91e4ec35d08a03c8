import Foundation
import GlacierTestSupport
import Testing

/// The `glacier-emulator` binary: prints its address, serves the CLI with keys from the
/// environment, and stops cleanly on SIGTERM.
@Suite struct ExecutableTests {
    /// The binary built next to this test bundle; a missing one fails the test (build with
    /// `swift build --build-tests`), it never skips it.
    static func binary() throws -> String {
        let path = TestPaths.binary("glacier-emulator")
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw TestFailure("\(path) is missing: run swift build --build-tests before swift test")
        }
        return path
    }

    @Test(.enabled(if: ExternalTool.awsCLI.runsHere, ExternalTool.awsCLI.skipNote))
    func binaryServesAndStopsOnSIGTERM() async throws {
        try ExternalTool.awsCLI.require()
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        var env = ProcessInfo.processInfo.environment
        env["GLACIER_EMULATOR_ACCESS_KEY"] = TestKeys.accessKey
        env["GLACIER_EMULATOR_SECRET_KEY"] = TestKeys.secretKey
        // --stop-on-stdin-eof: should this test process die, the emulator follows it.
        let child = try Subprocess.launch(
            [
                try Self.binary(), "--listen", "127.0.0.1:0", "--data-dir", dir.path + "/data", "--job-delay", "0.5",
                "--latency-ms", "1", "--bandwidth", "40MB", "--faults", "flip=0", "--log-level", "debug",
                "--stop-on-stdin-eof",
            ],
            environment: env, stderrPath: dir.path + "/stderr")
        let pid = child.pid
        var reaped = false
        defer {
            close(child.stdout)
            close(child.stdin)
            if !reaped {  // never signal a pid that was already reaped: it may belong to someone else now
                kill(pid, SIGKILL)
                waitpid(pid, nil, 0)
            }
        }
        let line = try await Subprocess.readLine(fd: child.stdout, timeout: 30)
        let prefix = "listening on http://127.0.0.1:"
        #expect(line.hasPrefix(prefix), "\(line)")
        let endpoint = String(line.dropFirst("listening on ".count))

        let aws = AWSCLI(endpoint: endpoint)
        try await aws.glacier("create-vault", "--vault-name", "from-binary")
        let listed = try await aws.glacier("list-vaults")
        #expect((listed["VaultList"] as? [[String: Any]])?.first?["VaultName"] as? String == "from-binary")

        kill(pid, SIGTERM)
        let status = try? await Subprocess.wait(pid: pid, timeout: 30)  // reaps it, or kills and reaps it
        reaped = true
        #expect(status == 0)
        let log = (try? String(contentsOfFile: dir.path + "/stderr", encoding: .utf8)) ?? ""
        #expect(log.contains("stopped"), "\(log)")
    }

    @Test func closingStdinStopsTheBinary() async throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let child = try Subprocess.launch(
            [try Self.binary(), "--data-dir", dir.path + "/data", "--stop-on-stdin-eof"],
            environment: ProcessInfo.processInfo.environment,
            stderrPath: dir.path + "/stderr")
        defer { close(child.stdout) }
        let line = try await Subprocess.readLine(fd: child.stdout, timeout: 30)
        #expect(line.hasPrefix("listening on "))
        close(child.stdin)
        let status = try? await Subprocess.wait(pid: child.pid, timeout: 30)
        #expect(status == 0)
        let log = (try? String(contentsOfFile: dir.path + "/stderr", encoding: .utf8)) ?? ""
        #expect(log.contains("standard input closed"), "\(log)")
    }

    @Test func badOptionsAreRefusedWithAMessage() async throws {
        for args in [
            ["--listen", "nowhere"], ["--bandwidth", "fast"], ["--faults", "melt=1"],
            ["--access-key", "only-the-key"], ["--fault-operations", "Nope"],
        ] {
            let result = try await Subprocess.run(
                [try Self.binary(), "--data-dir", "/tmp/unused"] + args,
                environment: ProcessInfo.processInfo.environment, timeout: 30)
            #expect(result.status != 0, "\(args)")
            #expect(result.stderr.contains("Error"), "\(args): \(result.stderr)")
        }
    }
}
