import AWSSigning
import Foundation
import GlacierClient
import GlacierModel
import HTTPTransport

/// Where a benchmark reads from: one emulator seeded with one archive, and a separate retrieval
/// job per measurement, so each cold read really starts cold (jobs have their own cache entries).
struct BenchWorkspace {
    let directory: String
    let endpoint: String
    let environment: [String: String]
    let client: GlacierClient
    let vault: String
    /// Output for (a)–(d).
    let sequentialJob: String
    /// Output for (e).
    let randomJob: String
    /// Eight outputs for (f), and eight more for (g).
    let parallelJobs: [String]
    let wanParallelJobs: [String]
    /// Output for (g) sequential, and one each for the slower WAN and the capped link.
    let wanSequentialJob: String
    let slowWanJob: String
    let cappedLinkJob: String
    /// Outputs whose first 4 KiB are read cold, once each, under WAN shaping.
    let headJobs: [String]
    let outputSize: Int64
    /// The emulator's pid, nil against a real endpoint.
    let emulatorPid: pid_t?

    var cacheDirectory: String { directory + "/cache" }
    /// The embedded emulator's CPU-seconds so far; nil against a real endpoint.
    var emulatorCPUSeconds: Double? { emulatorPid.flatMap(ProcessUsage.seconds(of:)) }
    var mountpoint: String { directory + "/mnt" }
    func outputPath(_ job: String) -> String { "\(mountpoint)/\(vault)/jobs/\(job)/output" }

    /// Starts an emulator and seeds it: one archive of `size` bytes (a multiple of 8 MiB).
    static func seeded(directory: String, size: Int64, progress: ProgressDisplay) throws -> BenchWorkspace {
        let emulator = try LocalEmulator.start(
            dataDirectory: directory + "/emulator", logFile: directory + "/emulator.log")
        do {
            // As many connections as a mount may use, for the WAN ceilings.
            var http = HTTPClientConfiguration()
            http.maxConnectionsPerHost = ServiceOptions.connectionsPerHost
            let client = GlacierClient(
                configuration: GlacierClientConfiguration(
                    endpoint: emulator.endpoint,
                    region: LocalEmulator.region, http: http),
                credentials: StaticCredentials(emulator.credentials))
            let source = directory + "/source"
            progress.update("writing \(ByteSize.format(size)) of random data")
            _ = try DemoSampleFiles.writeRandom(to: source, size: size) { written in
                progress.update("writing random data", fraction: Double(written) / Double(size))
            }
            progress.update("uploading the archive to the emulator")
            let eighth = size / 8
            let jobs: [String] = try runBlocking {
                try await client.createVault("bench")
                let archive = try await client.uploadArchive(
                    vault: "bench", file: source, description: "glacierfs bench")
                var ids: [String] = []
                for _ in 0 ..< (3 + 2 + 8) {
                    ids.append(
                        try await client.initiateArchiveRetrieval(vault: "bench", archiveId: archive.archiveId).jobId)
                }
                // Tree-hash aligned eighths, so every parallel output is verified too.
                for _ in 0 ..< 2 {
                    for k in 0 ..< 8 {
                        let range = InclusiveByteRange(first: Int64(k) * eighth, last: Int64(k + 1) * eighth - 1)
                        ids.append(
                            try await client.initiateArchiveRetrieval(
                                vault: "bench", archiveId: archive.archiveId,
                                range: range
                            ).jobId)
                    }
                }
                return ids
            }
            try? FileManager.default.removeItem(atPath: source)
            return BenchWorkspace(
                directory: directory, endpoint: emulator.endpoint, environment: emulator.clientEnvironment(),
                client: client, vault: "bench", sequentialJob: jobs[0], randomJob: jobs[1],
                parallelJobs: Array(jobs[13 ..< 21]), wanParallelJobs: Array(jobs[21 ..< 29]),
                wanSequentialJob: jobs[2], slowWanJob: jobs[3], cappedLinkJob: jobs[4],
                headJobs: Array(jobs[5 ..< 13]), outputSize: size, emulatorPid: emulator.pid)
        } catch {
            ChildProcesses.terminate(emulator.pid, grace: 2)
            throw error
        }
    }

    /// A real vault's existing jobs, read-only: nothing is seeded or changed.
    static func existing(
        directory: String, service: ServiceOptions, vault: String, jobs: [String]
    ) throws -> BenchWorkspace {
        let client = try service.makeClient()
        let size: Int64 = try runBlocking {
            let d = try await client.describeJob(vault: vault, jobId: jobs[0])
            guard d.hasSucceeded else { throw UserFacingError("job \(jobs[0]) is \(d.statusCode), not Succeeded") }
            if let r = d.retrievalByteRange.flatMap(InclusiveByteRange.init) { return r.length }
            return d.archiveSizeInBytes ?? d.inventorySizeInBytes ?? 0
        }
        return BenchWorkspace(
            directory: directory, endpoint: client.configuration.endpoint,
            environment: ProcessInfo.processInfo.environment, client: client, vault: vault,
            sequentialJob: jobs[0], randomJob: jobs.count > 1 ? jobs[1] : jobs[0],
            parallelJobs: Array(jobs.dropFirst(2)), wanParallelJobs: [], wanSequentialJob: "",
            slowWanJob: "", cappedLinkJob: "", headJobs: [], outputSize: size, emulatorPid: nil)
    }

    // MARK: - The emulator's admin API

    /// Body bytes the emulator has served so far.
    func emulatorBytesServed() -> Int64? {
        guard emulatorPid != nil, let body = try? admin("GET", "stats"),
            let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
        else { return nil }
        return (object["bytesServed"] as? NSNumber)?.int64Value
    }

    /// Shapes the emulator's link as `link` says, or not at all.
    func setShaping(_ link: BenchLink?) throws {
        var body = "{\"firstByteLatencyMs\":\(link?.firstByteLatencyMs ?? 0)"
        if let link { body += ",\"bytesPerSecondPerConnection\":\(link.bytesPerSecondPerConnection)" }
        if let cap = link?.linkBytesPerSecond { body += ",\"linkBytesPerSecond\":\(cap)" }
        _ = try admin("PUT", "shaping", body: body + "}")
    }

    /// Adds `count` metadata-only archives to `vault`, with descriptions in every upload tool's
    /// format, and one inventory job listing them all.
    func seedSyntheticArchives(vault: String, count: Int) throws {
        try runBlocking { try await client.createVault(vault) }
        _ = try admin("POST", "vaults/\(vault)/synthetic-archives", body: "{\"count\":\(count)}", timeout: 600)
        _ = try admin("POST", "vaults/\(vault)/synthetic-jobs", body: "{\"count\":1}", timeout: 600)
    }

    /// Admin calls that build synthetic data send nothing until done: allow them minutes.
    private func admin(_ method: String, _ path: String, body: String? = nil, timeout: Double = 30) throws -> [UInt8] {
        var configuration = HTTPClientConfiguration()
        configuration.lowSpeedSeconds = Int(timeout)
        let http = HTTPClient(configuration: configuration)
        let request = HTTPRequest(
            method: method, url: "\(endpoint)/_emulator/\(path)",
            body: body.map { .bytes(Array($0.utf8)) } ?? .none, timeoutSeconds: timeout)
        let response = try runBlocking { try await http.send(request) }
        guard (200 ..< 300).contains(response.status) else {
            throw UserFacingError("emulator admin \(path): HTTP \(response.status)")
        }
        return response.body
    }

    func stop() {
        if let pid = emulatorPid { ChildProcesses.terminate(pid, grace: 5) }
    }
}
