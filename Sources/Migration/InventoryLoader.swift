import Foundation
import GlacierClient
import GlacierModel
import VaultInventory

/// Finds the vault's inventory: the newest readable one the service still holds, or, with
/// `--fresh-inventory` or when there is none, a new inventory job it waits for. The job it starts
/// is recorded first, so a restart resumes the wait instead of starting another.
struct InventoryLoader: Sendable {
    let client: GlacierClient
    let store: MigrationStore?
    let settings: MigrationSettings
    let workDirectory: String
    let report: @Sendable (MigrationEvent) -> Void

    /// How old an inventory may be before the user is warned.
    static let staleAfter: TimeInterval = 3 * 86_400

    struct Loaded {
        let archives: [InventoryArchive]
        let inventoryDate: String
        let jobId: String
    }

    /// The inventory's archives. `mayStart`: false for --dry-run, which starts nothing.
    func load(mayStart: Bool) async throws -> Loaded {
        let vault = settings.vault
        if let jobId = try store?.setting("inventory.job") {
            report(.note("resuming the wait for inventory job \(jobId)"))
            if let loaded = try await waitAndRead(jobId) { return loaded }
        } else if try store?.setting("inventory.intent") != nil, let adopted = try await findStartedInventoryJob() {
            try store?.setSettings(["inventory.job": adopted])
            if let loaded = try await waitAndRead(adopted) { return loaded }
        }
        if !settings.freshInventory {
            let listing = try await client.listJobs(vault: vault, statusCode: GlacierJobDescription.Status.succeeded)
            let candidates = listing.jobs.filter { job in
                job.isInventoryRetrieval && job.inventoryRetrievalParameters?.startDate == nil
                    && job.inventoryRetrievalParameters?.endDate == nil
            }.sorted { ($0.completionDate ?? "") > ($1.completionDate ?? "") }
            for job in candidates {
                do {
                    return try await read(job)
                } catch {
                    report(.warning("inventory job \(job.jobId) cannot be read (\(error)); trying an older one"))
                }
            }
        }
        guard mayStart else {
            throw MigrationError.noInventory(
                "no readable inventory of vault '\(vault)' is available, and --dry-run starts "
                    + "nothing: run `glacierfs inventory \(vault) --wait` first, or run without --dry-run")
        }
        try store?.setSettings(["inventory.intent": String(client.serviceNow.timeIntervalSince1970)])
        let started = try await client.initiateInventoryRetrieval(
            vault: vault, format: "JSON",
            description: "glacierfs migrate inventory",
            snsTopic: settings.snsTopic)
        try store?.setSettings(["inventory.job": started.jobId])
        report(.note("started inventory job \(started.jobId); inventories take hours (a restart resumes this wait)"))
        guard let loaded = try await waitAndRead(started.jobId) else {
            throw MigrationError.noInventory(
                "inventory job \(started.jobId) failed or vanished; run the same command again")
        }
        return loaded
    }

    /// After a crash between recording the intent and recording the job: the inventory job the
    /// service started since then, if any.
    func findStartedInventoryJob() async throws -> String? {
        guard let since = try store?.setting("inventory.intent").flatMap(Double.init) else { return nil }
        let listing = try await client.listJobs(vault: settings.vault)
        return listing.jobs.filter { job in
            job.isInventoryRetrieval && job.statusCode != GlacierJobDescription.Status.failed
                && (job.creationDate.flatMap(GlacierTimestamp.parse)?.timeIntervalSince1970 ?? 0) >= since - 5
        }.max { ($0.creationDate ?? "") < ($1.creationDate ?? "") }?.jobId
    }

    /// Waits for the job, then reads it; nil when the job failed or is gone.
    func waitAndRead(_ jobId: String) async throws -> Loaded? {
        let started = Date()
        while true {
            let described: GlacierJobDescription?
            do {
                described = try await client.describeJob(vault: settings.vault, jobId: jobId)
            } catch {
                guard error.isNotFound else { throw error }
                described = nil
            }
            guard let job = described else {
                report(.warning("inventory job \(jobId) is gone (expired); requesting another"))
                try clearInventoryJob()
                return nil
            }
            if job.hasSucceeded { return try await read(job) }
            if job.statusCode == GlacierJobDescription.Status.failed {
                report(.warning("inventory job \(jobId) failed: \(job.statusMessage ?? "no message")"))
                try clearInventoryJob()
                return nil
            }
            let waited = Int(Date().timeIntervalSince(started))
            report(
                .waiting(
                    "waiting for inventory job \(jobId) (\(waited / 60)m\(waited % 60)s so far; inventories take hours)"
                ))
            try await Task.sleep(nanoseconds: UInt64(settings.pollInterval * 1e9))
        }
    }

    func clearInventoryJob() throws {
        try store?.clearSettings(["inventory.job", "inventory.intent"])
    }

    /// Downloads the inventory in ranges to a file, then reads it one archive at a time.
    func read(_ job: GlacierJobDescription) async throws -> Loaded {
        let path = workDirectory + "/inventory-\(job.jobId.prefix(24)).json"
        defer { unlink(path) }
        var archives: [InventoryArchive] = []
        var summary: InventorySummary?
        // Inventories come with no checksum: one that does not parse may have been damaged on the
        // way, so it is downloaded again before it is called unreadable.
        for attempt in 1 ... Self.downloadAttempts {
            try await download(job, to: path)
            archives = []
            do {
                summary = try InventoryParser.parseFile(atPath: path) { archives.append($0) }
                break
            } catch {
                guard attempt < Self.downloadAttempts else { throw MigrationError.unreadableInventory("\(error)") }
                report(.warning("inventory job \(job.jobId) did not parse (\(error)); downloading it again"))
            }
        }
        guard let summary else { throw MigrationError.unreadableInventory("no attempt was made") }
        // CSV inventories carry no date: the job's completion stands in for it.
        let date = summary.inventoryDate ?? job.completionDate ?? job.creationDate ?? ""
        if let taken = GlacierTimestamp.parse(date) {
            let age = client.serviceNow.timeIntervalSince(taken)
            let text =
                age < 7200
                ? "\(Int(age / 60)) minutes"
                : age < 2 * 86_400 ? "\(Int(age / 3600)) hours" : "\(Int(age / 86_400)) days"
            report(.note("using inventory job \(job.jobId): \(archives.count) archives, taken \(date) (\(text) ago)"))
            if age > Self.staleAfter {
                report(
                    .warning(
                        "the inventory is \(text) old: archives uploaded since are missing from it. "
                            + "Run with --fresh-inventory to request a new one (it takes hours)."))
            }
        }
        return Loaded(archives: archives, inventoryDate: date, jobId: job.jobId)
    }

    static let downloadAttempts = 3

    /// The inventory job's output, downloaded in ranges to `path`.
    func download(_ job: GlacierJobDescription, to path: String) async throws {
        let size = job.inventorySizeInBytes ?? 0
        let partial = path + ".partial"
        _ = FileManager.default.createFile(atPath: partial, contents: nil)
        guard let out = FileHandle(forWritingAtPath: partial) else {
            throw MigrationError.destinationNotWritable(path: partial, reason: "cannot create the file")
        }
        defer { try? out.close() }
        let piece: Int64 = 64 << 20
        var offset: Int64 = 0
        while offset < size {
            let end = min(size, offset + piece)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(end - offset), alignment: 16)
            defer { buffer.deallocate() }
            _ = try await client.getJobOutput(
                vault: settings.vault, jobId: job.jobId, range: offset ..< end, outputSize: size,
                verification: .sizeOnly, into: buffer)
            try out.write(contentsOf: Data(buffer))
            offset = end
        }
        try out.close()
        rename(partial, path)
    }
}
