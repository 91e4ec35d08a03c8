import ArgumentParser
import Foundation
import GlacierClient
import GlacierFileSystem
import GlacierModel
import Logging
import Migration
import OutputCache

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Copy a whole vault out to a directory: resumable, within a budget, with a verified manifest.",
        discussion: """
            glacierfs migrate VAULT --to DIR     copies every archive to DIR/<its decoded name>
            glacierfs migrate --status DIR       where a migration stands, from its state alone
            glacierfs migrate --verify DIR       hashes every copied file again against the manifest

            State lives in DIR/.glacierfs/ (SQLite); after any interruption, run the same command again.
            DIR/.glacierfs/manifest.jsonl lists every archive copied and ends with a summary.
            """)

    @Argument(help: "The vault.")
    var vault: String?

    @Option(help: ArgumentHelp("The directory to copy the vault into.", valueName: "dir"))
    var to: String?

    @Option(help: ArgumentHelp("Show where the migration into this directory stands.", valueName: "dir"))
    var status: String?

    @Option(
        help: ArgumentHelp("Hash every copied file in this directory again, against the manifest.", valueName: "dir"))
    var verify: String?

    @OptionGroup var service: ServiceOptions

    @Option(help: "Bulk (cheapest, 5–12 h), Standard (3–5 h) or Expedited (minutes; archives up to 250 MB).")
    var tier: String = "Bulk"

    @Option(
        name: .customLong("max-bytes-per-day"),
        help: ArgumentHelp(
            "Start at most this many bytes of retrievals in any 24 hours, spread evenly "
                + "(at most a 24th in any hour); e.g. 500G.", valueName: "size"))
    var maxBytesPerDay: ByteSize?

    @Option(name: .customLong("max-jobs"), help: "Retrieval jobs in flight at most (started and not yet copied).")
    var maxJobs: Int = 100

    @Option(
        help: ArgumentHelp(
            "Copy only archives whose path matches this glob (repeatable; * also matches /).",
            valueName: "glob"))
    var include: [String] = []

    @Option(help: ArgumentHelp("Skip archives whose path matches this glob (repeatable).", valueName: "glob"))
    var exclude: [String] = []

    @Flag(
        name: .customLong("dry-run"),
        help: "Print what would be retrieved, how long and what it would cost; start nothing.")
    var dryRun = false

    @Flag(
        name: .customLong("fresh-inventory"), help: "Request a new inventory (hours) instead of using the newest one.")
    var freshInventory = false

    @Option(
        name: .customLong("sns-topic"),
        help: ArgumentHelp(
            "An SNS topic ARN the service notifies as each job completes.",
            valueName: "arn"))
    var snsTopic: String?

    @OptionGroup var cache: CacheOptions

    @Option(name: .customLong("parallel-copies"), help: "Archive outputs copied at once.")
    var parallelCopies: Int = 4

    @Option(name: .customLong("poll-interval"), help: "Seconds between checks of the jobs' status.")
    var pollInterval: Double = 60

    @Flag(
        name: .customLong("keep-cache"),
        help: ArgumentHelp(
            "Copy each archive and keep it in the cache, for a mount to read later without a download.",
            discussion:
                "Without it, when the cache is on DIR's filesystem, each archive's cached file becomes its copy "
                + "(written once, not twice) and leaves the cache."))
    var keepCache = false

    func validate() throws {
        let modes = [to != nil || vault != nil, status != nil, verify != nil].filter { $0 }.count
        guard modes == 1 else {
            throw ValidationError("use one of: migrate VAULT --to DIR, migrate --status DIR, migrate --verify DIR")
        }
        if status == nil && verify == nil {
            guard vault != nil, let to, !to.isEmpty else {
                throw ValidationError("name the vault and the directory: migrate VAULT --to DIR")
            }
        }
        guard JobParameters.tiers.contains(tier) else {
            throw ValidationError("--tier must be Bulk, Standard or Expedited")
        }
        guard maxJobs >= 1 else { throw ValidationError("--max-jobs must be at least 1") }
        guard parallelCopies >= 1 else { throw ValidationError("--parallel-copies must be at least 1") }
        guard pollInterval > 0 else { throw ValidationError("--poll-interval must be a positive number of seconds") }
        if let b = maxBytesPerDay, b.bytes < 1 { throw ValidationError("--max-bytes-per-day must be at least 1 byte") }
        try SNSTopicOption.validate(snsTopic)
    }

    func run() async throws {
        if let status {
            do {
                for line in try MigrationStatus(root: Self.absolute(status)).lines { print(line) }
            } catch { throw Self.userFacing(error, endpoint: "") }
            return
        }
        if let verify { return try runVerify(Self.absolute(verify)) }
        RedactingLogHandler.bootstrap(level: service.logLevel)
        let client = try service.makeClient()
        let settings = MigrationSettings(
            vault: vault!, tier: tier, maxBytesPerDay: maxBytesPerDay?.bytes, maxJobs: maxJobs,
            include: include, exclude: exclude, snsTopic: snsTopic,
            freshInventory: freshInventory, parallelCopies: parallelCopies,
            pollInterval: pollInterval, keepCache: keepCache)
        let display = ProgressDisplay()
        var readers: OutputReaders?
        if !dryRun {
            let outputCache: OutputCache
            do {
                outputCache = try OutputCache(
                    directory: cache.directory, maxBytes: cache.cacheSize.bytes,
                    logger: Logger(label: "glacierfs.cache"))
            } catch {
                throw UserFacingError(
                    error.description + " (or give migrate a cache of its own with --cache-dir)",
                    exitCode: GlacierExit.cache)
            }
            readers = OutputReaders(client: client, cache: outputCache, configuration: FileSystemConfiguration())
        }
        let runner = MigrationRunner(
            client: client, settings: settings, root: Self.absolute(to!),
            readers: readers,
            report: { Self.show($0, on: display) })
        let endpoint = client.configuration.endpoint
        if dryRun {
            do {
                let estimate = try await runner.dryRun()
                display.say("dry run: nothing was started")
                for line in estimate.lines { display.say(line) }
            } catch { throw Self.userFacing(error, endpoint: endpoint) }
            return
        }
        let summary: MigrationSummary
        do { summary = try await runner.run() } catch {
            display.finish("migration stopped")
            throw Self.userFacing(error, endpoint: endpoint)
        }
        display.finish(
            "copied \(summary.copied) archives (\(ByteSize.format(summary.copiedBytes))) to \(to!); "
                + "\(summary.skipped) skipped, \(summary.failed) failed; manifest: \(to!)/.glacierfs/manifest.jsonl")
        if summary.copySeconds > 0 {
            display.say(
                String(
                    format: "copy stage: %lld bytes in %.3f s (%.1f MB/s)", summary.bytesCopiedThisRun,
                    summary.copySeconds, Double(summary.bytesCopiedThisRun) / summary.copySeconds / 1e6))
        }
        for item in summary.notCopied.prefix(20) {
            display.say("  not copied: \(item.path ?? item.archiveId): \(item.reason)")
        }
        if summary.failed > 0 {
            throw UserFacingError(
                "\(summary.failed) archives failed (listed in the manifest's summary)", exitCode: GlacierExit.failure)
        }
    }

    func runVerify(_ root: String) throws {
        let display = ProgressDisplay()
        let result: ManifestVerifier.Result
        do {
            result = try ManifestVerifier(root: root).verify { n, path in display.update("verified \(n): \(path)") }
        } catch { throw Self.userFacing(error, endpoint: "") }
        display.finish(
            "\(result.verified) of \(result.verified + result.problems.count) files "
                + "(\(ByteSize.format(result.verifiedBytes))) match the manifest"
                + (result.summaryComplete == false ? "; the migration is not finished yet" : ""))
        for problem in result.problems { display.say(problem) }
        if !result.problems.isEmpty {
            throw UserFacingError(
                "\(result.problems.count) files do not match the manifest", exitCode: GlacierExit.integrity)
        }
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    static func show(_ event: MigrationEvent, on display: ProgressDisplay) {
        switch event {
        case .note(let text): display.say(text)
        case .warning(let text): display.say("warning: " + text)
        case .waiting(let text): display.update(text)
        case .progress(let p):
            var line =
                "\(p.archivesDone)/\(p.archivesTotal) archives, \(ByteSize.format(p.bytesDone))/\(ByteSize.format(p.bytesTotal))"
            line += ", \(ByteSize.format(Int64(p.rate)))/s"
            if let eta = p.etaSeconds, p.rate > 0 {
                line += ", ETA \(Int(eta) / 3600)h\(Int(eta) % 3600 / 60)m\(Int(eta) % 60)s"
            }
            line += ", \(p.jobsInFlight) jobs in flight, \(p.copying) copying"
            if let next = p.next { line += "; \(next)" }
            display.update(line, fraction: p.bytesTotal > 0 ? Double(p.bytesDone) / Double(p.bytesTotal) : nil)
        }
    }

    static func userFacing(_ error: any Error, endpoint: String) -> UserFacingError {
        guard let error = error as? MigrationError else {
            return ServiceErrorReport.userFacing(error, endpoint: endpoint)
        }
        switch error {
        case .policyEnforced: return UserFacingError(error.description, exitCode: GlacierExit.service)
        case .differentVault, .noMigration: return UserFacingError(error.description, exitCode: GlacierExit.usage)
        default: return UserFacingError(error.description, exitCode: GlacierExit.failure)
        }
    }
}
