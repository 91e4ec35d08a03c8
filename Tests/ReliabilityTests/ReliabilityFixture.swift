import Foundation
import GlacierClient
import GlacierFileSystem
import GlacierTestSupport

/// Archives of chosen sizes on an emulator process, retrieved whole, with their source files.
struct ReliabilityFixture {
    static let mib = 1 << 20

    /// Multiplies iteration counts and sizes: 1 in CI, higher in `.ci/stress`.
    static let stress = max(1, Int(ProcessInfo.processInfo.environment["GLACIERFS_STRESS"] ?? "") ?? 1)

    let emulator: EmulatorProcess
    let client: GlacierClient
    let directory: URL
    let outputs: [(job: String, source: URL)]
    /// The sources' SHA-256, in the order of `outputs`.
    let hashes: [String]

    var cacheDirectory: String { directory.appendingPathComponent("cache").path }
    func path(_ m: MountedFileSystem, _ index: Int) -> String { m.path("v/jobs/\(outputs[index].job)/output") }

    static func with(
        sizes: [Int], jobDelay: Double = 0, extraEmulatorArguments: [String] = [],
        _ body: (ReliabilityFixture) async throws -> Void
    ) async throws {
        try await EmulatorProcess.with(jobDelay: jobDelay, extraArguments: extraEmulatorArguments) {
            (emulator: EmulatorProcess) async throws in
            try await TempDirectory.with("reliability") { (dir: URL) async throws in
                let client = emulator.client()
                var outputs: [(String, URL)] = []
                var hashes: [String] = []
                for size in sizes {
                    let file = try Seed.randomFile(size: size, in: dir)
                    let (_, jobId) = try await Seed.archiveJob(client, vault: "v", file: file)
                    outputs.append((jobId, file))
                    hashes.append(try await Self.sha256(file.path)!)
                }
                try await body(
                    ReliabilityFixture(
                        emulator: emulator, client: client, directory: dir, outputs: outputs,
                        hashes: hashes))
            }
        }
    }

    func mount(_ extra: [String] = [], _ body: (MountedFileSystem) async throws -> Void) async throws {
        try await MountedFileSystem.with(
            endpoint: emulator.endpoint, environment: emulator.environment,
            cacheDirectory: cacheDirectory, extraArguments: extra, body)
    }

    static func sha256(_ path: String) async throws -> String? {
        let r = try await Command.run("/usr/bin/sha256sum", [path])
        return r.status == 0 ? String(r.output.prefix(64)) : nil
    }

    /// The sources' hashes (computed once, when the fixture was made).
    func sourceHashes() async throws -> [String] { hashes }

    /// The directory of the (first) output cached under this fixture's cache.
    func cachedOutput() throws -> String {
        let outputs = cacheDirectory + "/outputs"
        guard let name = try FileManager.default.contentsOfDirectory(atPath: outputs).first else {
            throw SeedError("nothing is cached under \(outputs)")
        }
        return outputs + "/" + name
    }
}

extension MountedFileSystem {
    /// The daemon's status document, from the root's extended attribute.
    func status() async throws -> FileSystemStatus {
        let r = try await Command.run(
            "/usr/bin/getfattr",
            [
                "--absolute-names", "--only-values", "-n",
                GlacierFileSystem.statusAttribute, mountpoint,
            ])
        guard r.status == 0 else { throw SeedError("no status: \(r.output)") }
        return try JSONDecoder().decode(FileSystemStatus.self, from: Data(r.output.utf8))
    }

    /// The daemon's peak resident memory in bytes (VmHWM).
    func daemonPeakRSS() async -> Int? {
        guard let pid = await daemonPid(),
            let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return nil }
        return Int(line.split(separator: " ").dropFirst().first ?? "").map { $0 * 1024 }
    }
}

/// One line per area for the closing note's figures.
func report(_ line: String) { print("reliability \(line)") }
