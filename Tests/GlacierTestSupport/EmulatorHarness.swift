import AWSSigning
import Foundation
import GlacierClient
import GlacierEmulator
import GlacierModel

/// A real emulator on loopback for one test, with SigV4 enforced, in its own temp directory.
/// Call `stop()` in every exit path (`defer`).
public final class EmulatorHarness: Sendable {
    public let server: GlacierEmulatorServer
    public let dataDirectory: URL
    public let credentials: AWSCredentialSet

    public static let accessKey = "AKIDTESTHARNESS0001"

    public static func start(
        jobDelay: TimeInterval = 0, faults: FaultSettings = .none,
        shaping: ShapingSettings = .none, clockSkew: TimeInterval = 0,
        outputLifetime: TimeInterval = 86_400, dataDirectory: URL? = nil
    ) async throws -> EmulatorHarness {
        let dir = dataDirectory ?? TempDirectory.make("emulator")
        let secret = "test-secret-" + UUID().uuidString
        var configuration = EmulatorConfiguration(
            dataDirectory: dir,
            credentials: EmulatorCredentials(
                accessKeyId: accessKey, secretAccessKey: secret))
        configuration.jobDelay = jobDelay
        configuration.faults = faults
        configuration.shaping = shaping
        configuration.clockSkew = clockSkew
        configuration.outputLifetime = outputLifetime
        let server = try await GlacierEmulatorServer.start(configuration)
        return EmulatorHarness(
            server: server, dataDirectory: dir,
            credentials: AWSCredentialSet(accessKeyId: accessKey, secretAccessKey: secret))
    }

    /// Runs `body` with a fresh emulator, and stops and removes it afterwards however `body` ends.
    public static func with<T>(
        jobDelay: TimeInterval = 0, faults: FaultSettings = .none,
        shaping: ShapingSettings = .none, clockSkew: TimeInterval = 0,
        outputLifetime: TimeInterval = 86_400,
        _ body: (EmulatorHarness) async throws -> T
    ) async throws -> T {
        let emulator = try await start(
            jobDelay: jobDelay, faults: faults, shaping: shaping, clockSkew: clockSkew,
            outputLifetime: outputLifetime)
        do {
            let result = try await body(emulator)
            await emulator.stopAndRemove()
            return result
        } catch {
            await emulator.stopAndRemove()
            throw error
        }
    }

    init(server: GlacierEmulatorServer, dataDirectory: URL, credentials: AWSCredentialSet) {
        self.server = server
        self.dataDirectory = dataDirectory
        self.credentials = credentials
    }

    public var endpoint: String { server.endpoint }

    /// The environment a child process needs to talk to this emulator.
    public var environment: [String: String] { EmulatorHarness.childEnvironment(credentials: credentials) }

    /// This process's environment with `credentials` as the only AWS keys, and nothing from the
    /// user's AWS configuration.
    public static func childEnvironment(credentials: AWSCredentialSet) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["AWS_ACCESS_KEY_ID"] = credentials.accessKeyId
        env["AWS_SECRET_ACCESS_KEY"] = credentials.secretAccessKey
        env["AWS_EC2_METADATA_DISABLED"] = "true"
        env["AWS_CONFIG_FILE"] = "/dev/null"
        env["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
        env.removeValue(forKey: "AWS_SESSION_TOKEN")
        env.removeValue(forKey: "AWS_PROFILE")
        return env
    }

    public func client(retry: RetryPolicy = EmulatorHarness.testRetry) -> GlacierClient {
        Self.client(endpoint: endpoint, credentials: credentials, retry: retry)
    }

    /// Quick retries: an emulator on loopback answers at once or is being told to fail.
    public static let testRetry = RetryPolicy(maxAttempts: 6, baseDelaySeconds: 0.01, maxDelaySeconds: 0.2)

    /// A client of the emulator at `endpoint`, signing with `credentials` (in-process or child).
    public static func client(endpoint: String, credentials: AWSCredentialSet, retry: RetryPolicy) -> GlacierClient {
        GlacierClient(
            configuration: GlacierClientConfiguration(endpoint: endpoint, region: "us-east-1", retry: retry),
            credentials: StaticCredentials(credentials))
    }

    public func stop() async {
        try? await server.stop()
    }

    /// Stops the server and removes its data.
    public func stopAndRemove() async {
        await stop()
        try? FileManager.default.removeItem(at: dataDirectory)
    }
}

/// Seeding helpers: real uploads and real jobs through the client.
public enum Seed {
    /// Writes `size` random bytes to a new temp file.
    public static func randomFile(size: Int, in directory: URL) throws -> URL {
        let url = directory.appendingPathComponent("data-\(UUID().uuidString)")
        let urandom = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/dev/urandom"))
        defer { try? urandom.close() }
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        let out = try FileHandle(forWritingTo: url)
        defer { try? out.close() }
        var left = size
        while left > 0 {
            let chunk = min(left, 8 << 20)
            try out.write(contentsOf: urandom.readData(ofLength: chunk))
            left -= chunk
        }
        return url
    }

    /// Uploads a file and starts a retrieval of it (the whole archive, or `range`); returns
    /// once the job has Succeeded.
    public static func archiveJob(
        _ client: GlacierClient, vault: String, file: URL, range: InclusiveByteRange? = nil,
        description: String = "test archive"
    ) async throws -> (archive: UploadedArchive, jobId: String) {
        try await client.createVault(vault)
        let archive = try await client.uploadArchive(vault: vault, file: file.path, description: description)
        let job = try await client.initiateArchiveRetrieval(vault: vault, archiveId: archive.archiveId, range: range)
        try await waitForJob(client, vault: vault, jobId: job.jobId)
        return (archive, job.jobId)
    }

    public static func waitForJob(
        _ client: GlacierClient, vault: String, jobId: String, timeout: Double = 30
    ) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let d = try await client.describeJob(vault: vault, jobId: jobId)
            if d.statusCode == "Succeeded" { return }
            if d.statusCode == "Failed" { throw SeedError("job \(jobId) failed: \(d.statusMessage ?? "")") }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        throw SeedError("job \(jobId) did not complete within \(timeout) s")
    }
}

public struct SeedError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

/// Temp directories under /tmp/glacierfs-tests, removed by the tests that make them. Mounts and
/// daemons under them are cleaned up by `LeftoverReaper` should this process die first.
public enum TempDirectory {
    public static func make(_ prefix: String) -> URL {
        let url = URL(fileURLWithPath: "/tmp/glacierfs-tests/\(prefix)-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        LeftoverReaper.watch(url.path)
        return url
    }

    /// Runs `body` with a new directory and removes it afterwards, however `body` ends.
    public static func with<T>(_ prefix: String, _ body: (URL) async throws -> T) async throws -> T {
        let dir = make(prefix)
        defer { try? FileManager.default.removeItem(at: dir) }
        return try await body(dir)
    }
}
