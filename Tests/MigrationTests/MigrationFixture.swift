import Foundation
import GlacierClient
import GlacierIntegrity
import GlacierModel
import GlacierTestSupport
import Migration

/// A vault of known archives on a real emulator process, a destination directory, and the
/// `glacierfs migrate` executable run against them as a user would.
final class MigrationFixture: Sendable {
    let emulator: EmulatorProcess
    let client: GlacierClient
    let destination: String
    let vault = "vault-m"
    let archives: [Source]
    /// The read engine's cache.
    let cacheDirectory: String

    /// One uploaded archive: what the destination must hold.
    struct Source: Sendable {
        let archiveId: String
        let description: String
        let size: Int
        let sha256: String
        let treeHash: String
    }

    static let mib = 1 << 20

    init(emulator: EmulatorProcess, destination: String, archives: [Source], cacheDirectory: String? = nil) {
        self.cacheDirectory = cacheDirectory ?? (destination as NSString).deletingLastPathComponent + "/cache"
        self.emulator = emulator
        self.client = emulator.client()
        self.destination = destination
        self.archives = archives
    }

    /// Uploads `specs` (description, size) with deterministic contents; the destination is new and empty.
    static func with(
        jobDelay: Double = 0.5, outputLifetime: Double? = nil, archives specs: [(String, Int)],
        _ body: (MigrationFixture) async throws -> Void
    ) async throws {
        try await EmulatorProcess.with(jobDelay: jobDelay, outputLifetime: outputLifetime) { emulator in
            try await TempDirectory.with("migrate") { dir in
                let client = emulator.client()
                try await client.createVault("vault-m")
                let sources = try await upload(specs, client: client, scratch: dir.path + "/uploads")
                let destination = dir.path + "/dest"
                try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
                let fixture = MigrationFixture(emulator: emulator, destination: destination, archives: sources)
                try await body(fixture)
                // Writable again for the removal, whatever the test did to it.
                _ = try? ChildProcess.start("/bin/chmod", ["-R", "u+w", dir.path]).wait(timeout: 10)
            }
        }
    }

    /// Deterministic bytes for archive `index`.
    static func contents(index: Int, size: Int) -> [UInt8] {
        var state = UInt64(index) &* 0x9E37_79B9_7F4A_7C15 &+ 12345
        var bytes = [UInt8](repeating: 0, count: size)
        var i = 0
        while i < size {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            var word = state
            for _ in 0 ..< 8 where i < size {
                bytes[i] = UInt8(truncatingIfNeeded: word >> 56)
                word <<= 8
                i += 1
            }
        }
        return bytes
    }

    static func upload(_ specs: [(String, Int)], client: GlacierClient, scratch: String) async throws -> [Source] {
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        return try await withThrowingTaskGroup(of: (Int, Source).self) { group in
            var next = 0
            var results = [Source?](repeating: nil, count: specs.count)
            func add() {
                let index = next
                next += 1
                let (description, size) = specs[index]
                group.addTask {
                    let bytes = contents(index: index, size: size)
                    let path = scratch + "/\(index)"
                    try Data(bytes).write(to: URL(fileURLWithPath: path))
                    let uploaded = try await client.uploadArchive(
                        vault: "vault-m", file: path, description: description)
                    try? FileManager.default.removeItem(atPath: path)
                    return (
                        index,
                        Source(
                            archiveId: uploaded.archiveId, description: description, size: size,
                            sha256: SHA256.hash(bytes).hex, treeHash: TreeHash.hash(bytes).hex)
                    )
                }
            }
            while next < min(8, specs.count) { add() }
            while let (index, source) = try await group.next() {
                results[index] = source
                if next < specs.count { add() }
            }
            return results.map { $0! }
        }
    }

    /// Runs an inventory job to completion, so a migration finds a readable inventory.
    func takeInventory() async throws -> [String: InventoryArchive] {
        // Some tests give outputs seconds of life, and a loaded machine can take longer than that
        // to read one (CI, 2026-12-01): a gone output means a new inventory job.
        var attempt = 1
        while true {
            let job = try await client.initiateInventoryRetrieval(vault: vault)
            do {
                try await Seed.waitForJob(client, vault: vault, jobId: job.jobId, timeout: 60)
                let described = try await client.describeJob(vault: vault, jobId: job.jobId)
                let (bytes, _) = try await client.getWholeJobOutput(
                    vault: vault, jobId: job.jobId,
                    outputSize: described.inventorySizeInBytes ?? 0,
                    verification: .sizeOnly)
                let document = try JSONDecoder().decode(InventoryDocument.self, from: Data(bytes))
                return Dictionary(uniqueKeysWithValues: document.archiveList.map { ($0.archiveId, $0) })
            } catch let error as GlacierError where error.isNotFound && attempt < 3 {
                attempt += 1
            }
        }
    }

    var baseArguments: [String] {
        [
            "migrate", vault, "--to", destination, "--endpoint", emulator.endpoint, "--poll-interval", "0.2",
            "--cache-dir", cacheDirectory,
        ]
    }

    /// Starts `glacierfs migrate` with the base arguments and `extra`.
    func start(_ extra: [String] = [], arguments: [String]? = nil) throws -> ChildProcess {
        try ChildProcess.start(
            TestPaths.binary("glacierfs"), (arguments ?? baseArguments) + extra,
            environment: emulator.environment)
    }

    /// Runs it to the end; returns its exit status and output.
    func run(_ extra: [String] = [], arguments: [String]? = nil, timeout: Double = 120) async throws -> (Int32, String)
    {
        let child = try start(extra, arguments: arguments)
        guard let status = await child.waitAsync(timeout: timeout) else {
            child.kill9()
            throw SeedError("glacierfs migrate did not finish within \(timeout) s:\n\(child.output.suffix(3000))")
        }
        let output = child.output
        try? FileManager.default.removeItem(atPath: child.logFile)
        return (status, output)
    }

    // MARK: - The manifest

    struct ManifestLine: Decodable {
        let archiveId: String
        let description: String
        let path: String
        let decoder: String
        let size: Int64
        let creationDate: String
        let inventoryTreeHash: String
        let computedTreeHash: String
        let jobId: String?
        let tier: String?
        let copiedAt: String
    }

    struct ManifestSummary: Decodable {
        let summary: Bool
        let archives: Int64
        let copied: Int64
        let copiedBytes: Int64
        let skipped: Int64
        let failed: Int64
        let pending: Int64
        let complete: Bool
    }

    func manifest() throws -> (lines: [ManifestLine], summary: ManifestSummary?) {
        let data = try Data(contentsOf: URL(fileURLWithPath: destination + "/.glacierfs/manifest.jsonl"))
        var lines: [ManifestLine] = []
        var summary: ManifestSummary?
        for raw in data.split(separator: 0x0a) where !raw.isEmpty {
            if let s = try? JSONDecoder().decode(ManifestSummary.self, from: Data(raw)), s.summary {
                summary = s
            } else {
                lines.append(try JSONDecoder().decode(ManifestLine.self, from: Data(raw)))
            }
        }
        return (lines, summary)
    }

    /// Every file under the destination except the state directory, relative.
    func destinationFiles() -> Set<String> {
        var files = Set<String>()
        let enumerator = FileManager.default.enumerator(atPath: destination)
        while let path = enumerator?.nextObject() as? String {
            if path == ".glacierfs" || path.hasPrefix(".glacierfs/") { continue }
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: destination + "/" + path, isDirectory: &isDirectory),
                !isDirectory.boolValue
            {
                files.insert(path)
            }
        }
        return files
    }

    /// SHA-256, mtime (seconds) and permission bits of a destination file.
    func fileFacts(_ path: String) throws -> (sha256: String, mtime: Int, mode: mode_t) {
        let data = try Data(contentsOf: URL(fileURLWithPath: destination + "/" + path))
        var st = stat()
        _ = stat(destination + "/" + path, &st)
        return (SHA256.hash(Array(data)).hex, st.st_mtim.tv_sec, st.st_mode & 0o7777)
    }

    func statistics() async throws -> EmulatorProcess.Statistics { try await emulator.statistics() }
}

extension MigrationFixture {
    /// The migration's database as another process (the running command) keeps it, opened
    /// read-only: nil until the command has created it.
    func store() throws -> MigrationStore? {
        let path = destination + "/.glacierfs/" + MigrationDatabase.fileName
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return MigrationStore(database: try MigrationDatabase.open(path: path, readOnly: true))
    }

    /// Temporary files a copy in progress writes beside its final name.
    func partialFiles() -> [String] {
        var found: [String] = []
        let enumerator = FileManager.default.enumerator(atPath: destination)
        while let path = enumerator?.nextObject() as? String {
            if (path as NSString).lastPathComponent.hasPrefix(".glacierfs-partial-") { found.append(path) }
        }
        return found
    }
}
