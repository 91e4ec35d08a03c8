import AWSSigning
import Foundation
import GlacierClient
import HTTPTransport

/// The `glacier-emulator` binary running as a child process, driven through its admin API.
/// Tests that mount use this rather than an in-process emulator: the test's own blocking reads
/// of the mount then cannot starve the server.
public final class EmulatorProcess: Sendable {
    public let child: ChildProcess
    public let endpoint: String
    public let dataDirectory: URL
    public let credentials: AWSCredentialSet
    /// Admin calls that build large synthetic data send nothing until done: allow them minutes.
    let admin: HTTPClient = {
        var configuration = HTTPClientConfiguration()
        configuration.lowSpeedSeconds = 300
        return HTTPClient(configuration: configuration)
    }()

    public static func start(
        jobDelay: Double = 0, outputLifetime: Double? = nil, extraArguments: [String] = [],
        dataDirectory: URL? = nil, port: Int = 0,
        credentials: AWSCredentialSet? = nil
    ) async throws -> EmulatorProcess {
        let dir = dataDirectory ?? TempDirectory.make("emulator")
        let creds =
            credentials
            ?? AWSCredentialSet(
                accessKeyId: EmulatorHarness.accessKey,
                secretAccessKey: "test-secret-" + UUID().uuidString)
        var env = ProcessInfo.processInfo.environment
        env["GLACIER_EMULATOR_ACCESS_KEY"] = creds.accessKeyId
        env["GLACIER_EMULATOR_SECRET_KEY"] = creds.secretAccessKey
        var arguments = ["--listen", "127.0.0.1:\(port)", "--data-dir", dir.path, "--job-delay", String(jobDelay)]
        if let outputLifetime { arguments += ["--output-lifetime", String(outputLifetime)] }
        let child = try ChildProcess.start(
            TestPaths.binary("glacier-emulator"), arguments + extraArguments,
            environment: env, logFile: dir.path + ".log")
        guard let line = await child.waitForLineAsync(timeout: 30, where: { $0.hasPrefix("listening on ") }) else {
            child.kill9()
            throw SeedError("glacier-emulator did not start: \(child.output)")
        }
        return EmulatorProcess(
            child: child, endpoint: String(line.dropFirst("listening on ".count)), dataDirectory: dir,
            credentials: creds)
    }

    /// Runs `body` with a fresh emulator process, stopping it and removing its data afterwards.
    public static func with<T>(
        jobDelay: Double = 0, outputLifetime: Double? = nil, extraArguments: [String] = [],
        _ body: (EmulatorProcess) async throws -> T
    ) async throws -> T {
        let emulator = try await start(
            jobDelay: jobDelay, outputLifetime: outputLifetime, extraArguments: extraArguments)
        do {
            let result = try await body(emulator)
            emulator.stopAndRemove()
            return result
        } catch {
            emulator.stopAndRemove()
            throw error
        }
    }

    init(child: ChildProcess, endpoint: String, dataDirectory: URL, credentials: AWSCredentialSet) {
        self.child = child
        self.endpoint = endpoint
        self.dataDirectory = dataDirectory
        self.credentials = credentials
    }

    public var port: Int { Int(endpoint.split(separator: ":").last ?? "") ?? 0 }

    /// What a child process (the mount) needs to sign requests to this emulator.
    public var environment: [String: String] { EmulatorHarness.childEnvironment(credentials: credentials) }

    public func client(retry: RetryPolicy = EmulatorHarness.testRetry) -> GlacierClient {
        EmulatorHarness.client(endpoint: endpoint, credentials: credentials, retry: retry)
    }

    public func stop() { child.stop() }

    public func stopAndRemove() {
        child.stop()
        try? FileManager.default.removeItem(at: dataDirectory)
        try? FileManager.default.removeItem(atPath: child.logFile)
    }

    // MARK: - Admin API

    /// Counters since start (or the last reset).
    public struct Statistics: Sendable, Decodable {
        public var faults: [String: Int]
        public var faultsTotal: Int
        public var requests: [String: Int]
        public var bytesServed: Int64
        public var bytesByOperation: [String: Int64]
    }

    public func statistics() async throws -> Statistics {
        try JSONDecoder().decode(Statistics.self, from: Data(try await call("GET", "stats")))
    }

    public func requests(_ operation: String) async throws -> Int { try await statistics().requests[operation] ?? 0 }

    /// Fault rates by kind (`flip`, `truncate`, `reset`, `unavailable`, `throttle`, `wrong-checksum`,
    /// `bad-content-range`, `insufficient-capacity`, `policy-enforced`).
    /// `damagePer64KiB` and `resetPerMiB` draw damage along each body instead of once per response.
    public func setFaults(
        _ rates: [String: Double], seed: UInt64 = 1, operations: [String] = ["GetJobOutput"],
        damagePer64KiB: Double = 0, resetPerMiB: Double = 0
    ) async throws {
        let body: [String: Any] = [
            "rates": rates, "seed": seed, "operations": operations,
            "damagePer64KiB": damagePer64KiB, "resetPerMiB": resetPerMiB,
        ]
        _ = try await call("PUT", "faults", body: try JSONSerialization.data(withJSONObject: body))
    }

    /// WAN shaping: a per-connection byte rate (nil: unlimited) and a first-byte latency.
    public func setShaping(bytesPerSecondPerConnection: Int?, firstByteLatencyMs: Int = 0) async throws {
        let body =
            "{\"firstByteLatencyMs\":\(firstByteLatencyMs),\"bytesPerSecondPerConnection\":"
            + (bytesPerSecondPerConnection.map(String.init) ?? "null") + "}"
        _ = try await call("PUT", "shaping", body: Data(body.utf8))
    }

    public func advanceJobClock(by seconds: Double) async throws {
        _ = try await call("POST", "job-clock", body: Data("{\"advanceSeconds\":\(seconds)}".utf8))
    }

    /// Replaces fields of a job's description as the service serves it (raw JSON members).
    public func overrideJob(vault: String, jobId: String, json: String) async throws {
        _ = try await call("PUT", "vaults/\(vault)/jobs/\(jobId)/override", body: Data(json.utf8))
    }

    public func createSyntheticJobs(vault: String, count: Int, archiveId: String?) async throws {
        var body: [String: Any] = ["count": count]
        if let archiveId { body["archiveId"] = archiveId }
        _ = try await call(
            "POST", "vaults/\(vault)/synthetic-jobs", body: try JSONSerialization.data(withJSONObject: body),
            timeout: 300)
    }

    /// Adds `count` metadata-only archives with descriptions in every upload tool's format.
    public func createSyntheticArchives(vault: String, count: Int) async throws {
        _ = try await call(
            "POST", "vaults/\(vault)/synthetic-archives",
            body: try JSONSerialization.data(withJSONObject: ["count": count]), timeout: 300)
    }

    /// The next `count` responses to `operation` are replaced by this raw answer.
    public func overrideResponses(
        _ operation: String, status: Int, headers: [String: String] = [:], body: String,
        count: Int = 1
    ) async throws {
        let json: [String: Any] = [
            "operation": operation, "status": status, "headers": headers, "body": body, "count": count,
        ]
        _ = try await call("POST", "response-overrides", body: try JSONSerialization.data(withJSONObject: json))
    }

    /// Drops the canned responses not yet served.
    public func clearResponseOverrides() async throws { _ = try await call("DELETE", "response-overrides") }

    /// `timeout` is longer for calls that build large synthetic data on a busy machine.
    private func call(_ method: String, _ path: String, body: Data? = nil, timeout: Double = 30) async throws -> [UInt8]
    {
        var headers = HTTPHeaders()
        if body != nil { headers.add("Content-Type", "application/json") }
        let r = try await admin.send(
            HTTPRequest(
                method: method, url: "\(endpoint)/_emulator/\(path)", headers: headers,
                body: body.map { .bytes(Array($0)) } ?? .none, timeoutSeconds: timeout))
        guard (200 ..< 300).contains(r.status) else {
            throw SeedError("admin \(method) \(path): HTTP \(r.status) \(String(decoding: r.body, as: UTF8.self))")
        }
        return r.body
    }
}
