import Foundation
import GlacierClient
import GlacierIntegrity
import GlacierModel

/// A job the demo started, and what it retrieved: one row of the tree printout.
struct DemoJob: Sendable {
    let jobId: String
    let label: String
}

/// What seeding made: the jobs, and the facts needed to check the big file once copied out.
struct DemoSeed: Sendable {
    let vault: String
    /// In the order they were started.
    let jobs: [DemoJob]
    let tarJobId: String
    let binaryJobId: String
    let binarySHA256: String
}

/// Fills the emulator through the real client, as a Glacier user's vault would look: a tar of
/// generated files, a large random binary, small archives named in each upload tool's format, and
/// four completed jobs (two whole archives, one ranged retrieval, one inventory).
struct DemoSeeder {
    static let vault = "demo-vault"
    static let tarName = "demo-files.tar"
    static let binaryName = "demo-random.bin"
    /// Over 64 MiB, so it goes up as a multipart upload, and not a whole number of MiB, so the
    /// last tree-hash leaf is a short one.
    static let binarySize: Int64 = (70 << 20) + 12_345
    /// Exactly one tree-hash node of the binary, [32 MiB, 64 MiB), so Glacier sends a checksum
    /// for the ranged retrieval and it is verified like a whole archive.
    static let range = InclusiveByteRange(first: 32 << 20, last: (64 << 20) - 1)!

    let client: GlacierClient
    let layout: DemoLayout
    let progress: ProgressDisplay

    func run() throws -> DemoSeed {
        let fm = FileManager.default
        try fm.createDirectory(atPath: layout.seedDirectory, withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: layout.seedDirectory) }
        let tar = try DemoSampleFiles.makeTar(in: layout.seedDirectory, named: Self.tarName, progress: progress)
        let binary = layout.seedDirectory + "/" + Self.binaryName
        let sha256 = try DemoSampleFiles.makeRandomFile(at: binary, size: Self.binarySize, progress: progress)

        let client = self.client
        let vault = Self.vault
        try progress.spin("Creating the vault \(vault)", done: { _ in "Created the vault \(vault)" }) {
            try await client.createVault(vault)
        }
        let tarArchive = try upload(tar, description: Self.tarName)
        let binaryArchive = try upload(binary, description: Self.binaryName)
        let seeds = layout.seedDirectory
        try progress.spin(
            "Uploading small archives named the way upload tools name them",
            done: { _ in "Uploaded \(DemoNamedArchives.samples.count) small archives named by upload tools" }
        ) {
            try await DemoNamedArchives.upload(client: client, vault: vault, directory: seeds)
        }
        try? fm.removeItem(atPath: layout.seedDirectory)  // the vault has them now; free the space early

        let range = Self.range
        let jobs = try progress.spin(
            "Starting retrieval jobs",
            done: { (jobs: [DemoJob]) in "Started \(jobs.count) jobs; the emulator completes them at once" }
        ) {
            var jobs: [DemoJob] = []
            let whole = try await client.initiateArchiveRetrieval(
                vault: vault, archiveId: tarArchive.archiveId, description: "\(Self.tarName), whole archive")
            jobs.append(DemoJob(jobId: whole.jobId, label: "\(Self.tarName), whole archive"))
            let big = try await client.initiateArchiveRetrieval(
                vault: vault, archiveId: binaryArchive.archiveId, description: "\(Self.binaryName), whole archive")
            jobs.append(DemoJob(jobId: big.jobId, label: "\(Self.binaryName), whole archive"))
            let ranged = try await client.initiateArchiveRetrieval(
                vault: vault, archiveId: binaryArchive.archiveId, range: range,
                description: "\(Self.binaryName), bytes 32-64 MiB")
            jobs.append(DemoJob(jobId: ranged.jobId, label: "\(Self.binaryName), bytes 32-64 MiB (a tree-hash node)"))
            let inventory = try await client.initiateInventoryRetrieval(
                vault: vault, format: "JSON",
                description: "vault inventory")
            jobs.append(DemoJob(jobId: inventory.jobId, label: "inventory of \(vault) (JSON)"))
            for job in jobs { try await Self.waitForJob(client, vault: vault, jobId: job.jobId) }
            return jobs
        }
        return DemoSeed(
            vault: vault, jobs: jobs, tarJobId: jobs[0].jobId, binaryJobId: jobs[1].jobId,
            binarySHA256: sha256)
    }

    private func upload(_ path: String, description: String) throws -> UploadedArchive {
        let client = self.client
        let vault = Self.vault
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
        let how = size > 64 << 20 ? "a multipart upload" : "one request"
        return try progress.spin(
            "Uploading \(description) (\(ByteSize.format(size)), \(how))",
            done: { _ in "Uploaded \(description) (\(ByteSize.format(size)), \(how))" }
        ) {
            try await client.uploadArchive(vault: vault, file: path, description: description)
        }
    }

    /// Jobs complete at once with `--job-delay 0`; this only waits out the emulator's bookkeeping.
    static func waitForJob(_ client: GlacierClient, vault: String, jobId: String, timeout: Double = 60) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let job = try await client.describeJob(vault: vault, jobId: jobId)
            if job.statusCode == "Succeeded" { return }
            if job.statusCode == "Failed" {
                throw UserFacingError(
                    "the emulator failed a demo job: \(job.statusMessage ?? "no reason given"). "
                        + "Run the demo again; if it keeps failing, report it with the emulator log.")
            }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        throw UserFacingError(
            "a demo job did not complete within \(Int(timeout)) s. Is the machine very busy? Run the demo again.")
    }
}
