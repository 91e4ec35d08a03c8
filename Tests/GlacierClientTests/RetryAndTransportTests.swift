import AWSSigning
import Foundation
import GlacierClient
import GlacierEmulator
import GlacierModel
import GlacierTestSupport
import HTTPTransport
import Logging
import Synchronization
import Testing

@Suite(.serialized) struct RetryAndTransportTests {
    @Test func backoffIsCappedAndJittered() {
        let p = RetryPolicy(maxAttempts: 5, baseDelaySeconds: 0.1, maxDelaySeconds: 1)
        for attempt in 1 ... 8 {
            for _ in 0 ..< 50 {
                let d = p.delay(afterAttempt: attempt, throttled: false)
                #expect(d >= 0 && d <= min(1, 0.1 * pow(2, Double(attempt - 1))))
            }
        }
        #expect(
            (0 ..< 200).map { _ in p.delay(afterAttempt: 1, throttled: false) }.max()! > 0.05, "jitter spreads delays")
    }

    @Test func serverErrorsAreRetriedUpToTheConfiguredAttempts() async throws {
        try await EmulatorHarness.with { emulator in
            try await emulator.client().createVault("v")
            try emulator.server.setFaults(
                FaultSettings(rates: [.unavailable: 1], seed: 3, operations: ["DescribeVault"]))
            let client = emulator.client(retry: RetryPolicy(maxAttempts: 4, baseDelaySeconds: 0.001))
            do {
                _ = try await client.describeVault("v")
                Issue.record("a 503 every time must fail")
            } catch let error as GlacierError {
                #expect(error.serviceCode == "ServiceUnavailableException")
                #expect(error.isRetryable)
            }
            #expect(emulator.server.statistics().requests["DescribeVault"] == 4)

            try emulator.server.setFaults(
                FaultSettings(rates: [.throttle: 0.5], seed: 11, operations: ["DescribeVault"]))
            for _ in 0 ..< 10 {
                _ = try await emulator.client(retry: RetryPolicy(maxAttempts: 12, baseDelaySeconds: 0.001))
                    .describeVault("v")
            }
            #expect(emulator.server.faultCounters()[.throttle] > 0)
        }
    }

    @Test func notFoundIsNeverRetried() async throws {
        try await EmulatorHarness.with { emulator in
            let client = emulator.client()
            try await client.createVault("v")
            do {
                _ = try await client.describeJob(vault: "v", jobId: "NOSUCHJOBID")
                Issue.record("an unknown job must fail")
            } catch let error as GlacierError {
                #expect(error.isNotFound)
                #expect(!error.isRetryable)
            }
            #expect(emulator.server.statistics().requests["DescribeJob"] == 1)
        }
    }

    /// Credentials that rotate under a running client: the first are refused, a fresh lookup fixes it.
    final class RotatingCredentials: CredentialSource {
        let current: Mutex<AWSCredentialSet>
        let next: AWSCredentialSet
        let invalidations = Atomic<Int>(0)
        init(stale: AWSCredentialSet, fresh: AWSCredentialSet) {
            current = Mutex(stale)
            next = fresh
        }
        func credentials() async throws -> AWSCredentialSet { current.withLock { $0 } }
        func invalidate() {
            invalidations.add(1, ordering: .relaxed)
            current.withLock { $0 = next }
        }
    }

    @Test func rejectedCredentialsAreLookedUpAgainOnce() async throws {
        try await EmulatorHarness.with { emulator in
            try await emulator.client().createVault("v")
            let rotating = RotatingCredentials(
                stale: AWSCredentialSet(accessKeyId: EmulatorHarness.accessKey, secretAccessKey: "rotated-away"),
                fresh: emulator.credentials)
            let client = GlacierClient(
                configuration: GlacierClientConfiguration(endpoint: emulator.endpoint, region: "us-east-1"),
                credentials: rotating)
            #expect(try await client.describeVault("v").vaultName == "v")
            #expect(rotating.invalidations.load(ordering: .relaxed) == 1)
        }
    }

    @Test func clockSkewIsDetectedAndCorrected() async throws {
        try await EmulatorHarness.with(clockSkew: -3 * 3600) { emulator in
            let records = LogCapture()
            let client = GlacierClient(
                configuration: GlacierClientConfiguration(endpoint: emulator.endpoint, region: "us-east-1"),
                credentials: StaticCredentials(emulator.credentials), logger: records.logger)
            try await client.createVault("skewed")
            #expect(emulator.server.statistics().requests["CreateVault"] == 2, "one refusal, then the corrected retry")
            #expect(records.text.contains("clock"), "the skew is reported: \(records.text)")
        }
    }

    @Test func connectionsAreReusedAndTransfersRunInParallel() async throws {
        try await EmulatorHarness.with { emulator in
            try await TempDirectory.with("transport") { dir in
                let http = HTTPClient()
                let client = GlacierClient(
                    configuration: GlacierClientConfiguration(endpoint: emulator.endpoint, region: "us-east-1"),
                    credentials: StaticCredentials(emulator.credentials), http: http)
                let file = try Seed.randomFile(size: 8 << 20, in: dir)
                let (_, jobId) = try await Seed.archiveJob(client, vault: "v", file: file)
                let before = http.connectionsOpened
                for _ in 0 ..< 30 { _ = try await client.describeVault("v") }
                #expect(http.connectionsOpened - before <= 1, "30 sequential requests share a connection")

                let data = Array(try Data(contentsOf: file))
                try await withThrowingTaskGroup(of: Bool.self) { group in
                    for leaf in 0 ..< 8 {
                        group.addTask {
                            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
                            defer { buffer.deallocate() }
                            let range = Int64(leaf << 20) ..< Int64((leaf + 1) << 20)
                            _ = try await client.getJobOutput(
                                vault: "v", jobId: jobId, range: range, outputSize: 8 << 20,
                                verification: .treeHash, into: buffer)
                            return Array(buffer) == Array(data[(leaf << 20) ..< ((leaf + 1) << 20)])
                        }
                    }
                    for try await same in group { #expect(same) }
                }
                #expect(http.connectionsOpened <= 9, "parallel transfers open at most one connection each")
            }
        }
    }

    @Test func errorBodiesNeverLandInTheCallersBuffer() async throws {
        try await EmulatorHarness.with { emulator in
            let http = HTTPClient()
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 16)
            defer { buffer.deallocate() }
            buffer.initializeMemory(as: UInt8.self, repeating: 0xAA)
            // Unsigned, so the emulator answers 403 with a JSON error body.
            let response = try await http.send(
                HTTPRequest(method: "GET", url: emulator.endpoint + "/-/vaults"),
                into: .buffer(buffer))
            #expect(response.status == 403)
            #expect(String(decoding: response.body, as: UTF8.self).contains("MissingAuthenticationTokenException"))
            #expect(buffer.allSatisfy { $0 == 0xAA }, "the caller's buffer is untouched")
        }
    }

    @Test func aBodyLargerThanTheBufferIsRefused() async throws {
        try await EmulatorHarness.with { emulator in
            try await TempDirectory.with("too-large") { dir in
                let client = emulator.client()
                let file = try Seed.randomFile(size: 2 << 20, in: dir)
                let (_, jobId) = try await Seed.archiveJob(client, vault: "v", file: file)
                // The service answers a 1 MiB range with 2 MiB of body.
                try emulator.server.addResponseOverride(
                    ResponseOverride(
                        status: 206, headers: ["Content-Range": "bytes 0-1048575/2097152"],
                        body: String(repeating: "y", count: 2 << 20), count: 10), for: "GetJobOutput")
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
                defer { buffer.deallocate() }
                do {
                    _ = try await client.getJobOutput(
                        vault: "v", jobId: jobId, range: 0 ..< (1 << 20), outputSize: 2 << 20,
                        verification: .treeHash, into: buffer,
                        retry: RetryPolicy(maxAttempts: 2, baseDelaySeconds: 0.001))
                    Issue.record("an oversized body must be refused")
                } catch let error as GlacierError {
                    #expect(error == .integrity(.bodyTooLong(limit: 1 << 20)), "\(error)")
                }
            }
        }
    }

    /// An intermediary that ignores Range answers 200 with the whole output: a failed check,
    /// retried, so the next (honest) answer is read rather than the reader getting an error.
    @Test func aWholeBodyForARangeIsRetried() async throws {
        try await EmulatorHarness.with { emulator in
            try await TempDirectory.with("range-ignored") { dir in
                let client = emulator.client()
                let file = try Seed.randomFile(size: 2 << 20, in: dir)
                let (_, jobId) = try await Seed.archiveJob(client, vault: "v", file: file)
                try emulator.server.addResponseOverride(
                    ResponseOverride(
                        status: 200, headers: [:], body: String(repeating: "z", count: 2 << 20), count: 1),
                    for: "GetJobOutput")
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
                defer { buffer.deallocate() }
                let retriesBefore = client.statistics.retryCount
                _ = try await client.getJobOutput(
                    vault: "v", jobId: jobId, range: 0 ..< (1 << 20), outputSize: 2 << 20,
                    verification: .treeHash, into: buffer,
                    retry: RetryPolicy(maxAttempts: 3, baseDelaySeconds: 0.001))
                let source = try Data(contentsOf: file)
                #expect(Data(buffer) == source.prefix(1 << 20), "the retried read returns the archive's bytes")
                #expect(client.statistics.retryCount == retriesBefore + 1)
            }
        }
    }

    @Test func aStalledTransferHitsTheLowSpeedLimit() async throws {
        try await EmulatorHarness.with(shaping: ShapingSettings(bytesPerSecondPerConnection: 4000)) { emulator in
            try await TempDirectory.with("slow") { dir in
                let fast = emulator.client()
                try emulator.server.setShaping(.none)
                let file = try Seed.randomFile(size: 1 << 20, in: dir)
                let (_, jobId) = try await Seed.archiveJob(fast, vault: "v", file: file)
                try emulator.server.setShaping(ShapingSettings(bytesPerSecondPerConnection: 4000))
                var http = HTTPClientConfiguration()
                http.lowSpeedBytesPerSecond = 100_000
                http.lowSpeedSeconds = 1
                let slow = GlacierClient(
                    configuration: GlacierClientConfiguration(
                        endpoint: emulator.endpoint, region: "us-east-1",
                        retry: RetryPolicy(maxAttempts: 1), http: http),
                    credentials: StaticCredentials(emulator.credentials))
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
                defer { buffer.deallocate() }
                let started = Date()
                do {
                    _ = try await slow.getJobOutput(
                        vault: "v", jobId: jobId, range: 0 ..< (1 << 20), outputSize: 1 << 20,
                        verification: .treeHash, into: buffer)
                    Issue.record("a 4 kB/s transfer must hit a 100 kB/s low-speed limit")
                } catch let error as GlacierError {
                    // Timed out before the body, or part-way through it (then with the bytes that arrived).
                    let timedOut =
                        switch error {
                        case .transport(.timedOut), .interrupted(.timedOut, _, _): true
                        default: false
                        }
                    #expect(timedOut, "\(error)")
                }
                #expect(Date().timeIntervalSince(started) < 30)
            }
        }
    }

    @Test func anUnreachableEndpointIsATransientTransportError() async throws {
        let client = GlacierClient(
            configuration: GlacierClientConfiguration(
                endpoint: "http://127.0.0.1:1", region: "us-east-1",
                retry: RetryPolicy(maxAttempts: 2, baseDelaySeconds: 0.001)),
            credentials: StaticCredentials(AWSCredentialSet(accessKeyId: "a", secretAccessKey: "b")))
        do {
            _ = try await client.listVaults()
            Issue.record("nothing listens on port 1")
        } catch {
            guard case .transport(.couldNotConnect) = error else {
                Issue.record("got \(error)")
                return
            }
            #expect(error.isRetryable)
        }
    }
}

/// Collects log lines for assertions.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])
    var text: String { lines.withLock { $0.joined(separator: "\n") } }

    var logger: Logger {
        Logger(label: "test") { _ in CaptureHandler(capture: self) }
    }

    func append(_ line: String) { lines.withLock { $0.append(line) } }

    struct CaptureHandler: LogHandler {
        let capture: LogCapture
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            capture.append("\(event.level) \(event.message) \(event.metadata ?? [:])")
        }
    }
}
