import Foundation
import GlacierClient
import GlacierEmulator
import GlacierModel
import GlacierTestSupport

/// A vault with one job of each kind the filesystem shows, on a fresh emulator, and a mount of it.
struct VaultFixture {
    static let mib = 1 << 20

    let emulator: EmulatorProcess
    let client: GlacierClient
    let directory: URL
    /// 20.5 MiB of random bytes, retrieved whole.
    let binary: URL
    let binaryJob: String
    /// A tar of generated files, retrieved whole.
    let tarball: URL
    let tarJob: String
    /// Bytes [8 MiB, 16 MiB) of the binary: a tree-hash aligned range (8 leaves from leaf 8).
    let alignedRangeJob: String
    /// Bytes [1 MiB, 4 MiB) of the binary: three leaves, not a tree node, so no checksum.
    let unalignedRangeJob: String
    let inventoryJob: String
    let csvInventoryJob: String
    let binaryArchiveId: String

    var cacheDirectory: String { directory.appendingPathComponent("cache").path }

    func jobPath(_ job: String, _ file: String = "output") -> String { "v/jobs/\(job)/\(file)" }

    /// Runs `body` with the fixture, then stops the emulator and removes every file.
    static func with(jobDelay: TimeInterval = 0, _ body: (VaultFixture) async throws -> Void) async throws {
        try await EmulatorProcess.with(jobDelay: jobDelay) { emulator in
            try await TempDirectory.with("fs") { dir in
                try await body(try await make(emulator: emulator, directory: dir))
            }
        }
    }

    static func make(emulator: EmulatorProcess, directory: URL) async throws -> VaultFixture {
        let client = emulator.client()
        let binary = try Seed.randomFile(size: 20 * mib + mib / 2, in: directory)
        let tarball = try await makeTarball(in: directory)
        try await client.createVault("v")
        let binaryArchive = try await client.uploadArchive(vault: "v", file: binary.path, description: "random binary")
        let tarArchive = try await client.uploadArchive(vault: "v", file: tarball.path, description: "a tar of files")
        var jobs: [String] = []
        for range in [
            nil, InclusiveByteRange(first: Int64(8 * mib), last: Int64(16 * mib) - 1),
            InclusiveByteRange(first: Int64(mib), last: Int64(4 * mib) - 1),
        ] {
            jobs.append(
                try await client.initiateArchiveRetrieval(
                    vault: "v", archiveId: binaryArchive.archiveId,
                    range: range
                ).jobId)
        }
        jobs.append(try await client.initiateArchiveRetrieval(vault: "v", archiveId: tarArchive.archiveId).jobId)
        jobs.append(try await client.initiateInventoryRetrieval(vault: "v", format: "JSON").jobId)
        jobs.append(try await client.initiateInventoryRetrieval(vault: "v", format: "CSV").jobId)
        for job in jobs { try await Seed.waitForJob(client, vault: "v", jobId: job) }
        return VaultFixture(
            emulator: emulator, client: client, directory: directory, binary: binary,
            binaryJob: jobs[0], tarball: tarball, tarJob: jobs[3], alignedRangeJob: jobs[1],
            unalignedRangeJob: jobs[2], inventoryJob: jobs[4], csvInventoryJob: jobs[5],
            binaryArchiveId: binaryArchive.archiveId)
    }

    /// A tar of a few directories of text and binary files, made with /bin/tar.
    static func makeTarball(in directory: URL) async throws -> URL {
        let tree = directory.appendingPathComponent("tree")
        for d in ["docs", "photos/2019", "photos/2020"] {
            try FileManager.default.createDirectory(
                at: tree.appendingPathComponent(d), withIntermediateDirectories: true)
        }
        for i in 0 ..< 12 {
            let text = (0 ..< (200 * (i + 1))).map { "line \($0) of file \(i)" }.joined(separator: "\n")
            try text.write(to: tree.appendingPathComponent("docs/note-\(i).txt"), atomically: true, encoding: .utf8)
        }
        for year in ["2019", "2020"] {
            for i in 0 ..< 3 {
                _ = try Seed.randomFile(size: 300_000 + i * 77_777, in: tree.appendingPathComponent("photos/\(year)"))
            }
        }
        let tar = directory.appendingPathComponent("tree.tar")
        let r = try await Command.run("/bin/tar", ["-cf", tar.path, "-C", tree.path, "."])
        guard r.status == 0 else { throw SeedError("tar failed: \(r.output)") }
        return tar
    }

    func mount(extraArguments: [String] = [], _ body: (MountedFileSystem) async throws -> Void) async throws {
        try await MountedFileSystem.with(
            endpoint: emulator.endpoint, environment: emulator.environment,
            cacheDirectory: cacheDirectory, extraArguments: extraArguments, body)
    }

    /// The SHA-256 of a file, via sha256sum (a real reader of the mount).
    static func sha256(_ path: String) async throws -> String {
        let r = try await Command.run("/usr/bin/sha256sum", [path])
        guard r.status == 0 else { throw SeedError("sha256sum \(path): \(r.output)") }
        return String(r.output.prefix(64))
    }

    func requests(_ operation: String) async throws -> Int { try await emulator.requests(operation) }
}
