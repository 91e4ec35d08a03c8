import ArgumentParser
import Foundation
import GlacierClient
import GlacierModel

/// Options shared by the commands that start a job.
struct JobWaitOptions: ParsableArguments {
    @Flag(help: "Wait until the job completes, showing progress.")
    var wait = false

    @Option(name: .customLong("poll-interval"), help: "Seconds between status checks while waiting.")
    var pollInterval: Double = 60

    @Option(help: "Give up waiting after this many seconds (0: never).")
    var timeout: Double = 0
}

struct RetrieveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retrieve",
        abstract: "Start an archive retrieval job (its output then appears in the mount).",
        discussion: "Ranges must start on a 1 MiB boundary and end on one (or at the archive's end). Only ranges "
            + "that are tree-hash aligned can be verified; glacierfs refuses to serve others unless mounted with --allow-unverified. "
            + "--name selects archives by the path <mountpoint>/<vault>/archives/ shows them under, from the vault's newest "
            + "inventory: a path, or a glob whose * also matches / (quote it).")

    @Argument(help: "The vault.")
    var vault: String

    @Argument(help: "Archive ids.")
    var archiveIds: [String] = []

    @Option(
        name: .customLong("name"),
        help: ArgumentHelp(
            "An archive's path under archives/, or a glob; repeatable.",
            valueName: "PATH"))
    var names: [String] = []

    @OptionGroup var service: ServiceOptions

    @Option(help: ArgumentHelp("Retrieve only bytes START-END (inclusive).", valueName: "START-END"))
    var range: String?

    @Option(help: "Expedited, Standard or Bulk.")
    var tier: String = "Standard"

    @Option(help: "A description for the job.")
    var description: String?

    @Option(
        name: .customLong("sns-topic"),
        help: ArgumentHelp(
            "An SNS topic ARN the service notifies when the job completes.",
            valueName: "arn"))
    var snsTopic: String?

    @OptionGroup var waiting: JobWaitOptions

    func validate() throws {
        guard JobParameters.tiers.contains(tier) else {
            throw ValidationError("--tier must be Expedited, Standard or Bulk")
        }
        if let range, InclusiveByteRange(range) == nil {
            throw ValidationError("--range must be START-END with START <= END, e.g. 0-1048575")
        }
        try SNSTopicOption.validate(snsTopic)
        guard !archiveIds.isEmpty || !names.isEmpty else { throw ValidationError("give an archive id or --name PATH") }
        if archiveIds.count + names.count > 1 || !names.isEmpty {
            if range != nil { throw ValidationError("--range retrieves part of one archive: give a single archive id") }
            if waiting.wait { throw ValidationError("--wait follows one job: give a single archive id") }
        }
    }

    func run() async throws {
        RedactingLogHandler.bootstrap(level: service.logLevel)
        let client = try service.makeClient()
        if archiveIds.count == 1 && names.isEmpty {
            return try await JobStarter.start(client: client, vault: vault, waiting: waiting) {
                try await client.initiateArchiveRetrieval(
                    vault: vault, archiveId: archiveIds[0],
                    range: range.flatMap(InclusiveByteRange.init), tier: tier,
                    description: description, snsTopic: snsTopic)
            }
        }
        var targets = archiveIds.map { (label: $0, id: $0) }
        if !names.isEmpty {
            let (inventory, matches): (String, [ArchiveSelection.Match])
            do {
                (inventory, matches) = try await ArchiveSelection.matches(client: client, vault: vault, patterns: names)
            } catch let error as UserFacingError {
                throw error
            } catch {
                throw JobStarter.fail(error, client.configuration.endpoint)
            }
            let bytes = matches.reduce(Int64(0)) { $0 + $1.archive.size }
            print(
                "\(matches.count) archives (\(ByteSize.format(bytes))) in vault \(vault) match \(names.joined(separator: " ")) "
                    + "in inventory job \(inventory); starting \(tier) retrievals")
            if matches.isEmpty {
                throw UserFacingError("nothing matches; list the names with ls <mountpoint>/\(vault)/archives/")
            }
            targets += matches.map { (label: $0.path, id: $0.archive.archiveId) }
        }
        for target in targets {
            do {
                let job = try await client.initiateArchiveRetrieval(
                    vault: vault, archiveId: target.id, range: nil, tier: tier,
                    description: description, snsTopic: snsTopic)
                print("started job \(job.jobId) for \(target.label)")
            } catch {
                throw JobStarter.fail(error, client.configuration.endpoint)
            }
        }
        print("check on them with: glacierfs jobs \(vault)")
    }
}

struct InventoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inventory",
        abstract: "Start an inventory job: the list of a vault's archives, as JSON or CSV.")

    @Argument(help: "The vault.")
    var vault: String

    @OptionGroup var service: ServiceOptions

    @Option(help: "json or csv.")
    var format: String = "json"

    @Option(
        name: .customLong("sns-topic"),
        help: ArgumentHelp(
            "An SNS topic ARN the service notifies when the job completes.",
            valueName: "arn"))
    var snsTopic: String?

    @OptionGroup var waiting: JobWaitOptions

    func validate() throws {
        guard ["JSON", "CSV"].contains(format.uppercased()) else {
            throw ValidationError("--format must be json or csv")
        }
        try SNSTopicOption.validate(snsTopic)
    }

    func run() async throws {
        RedactingLogHandler.bootstrap(level: service.logLevel)
        let client = try service.makeClient()
        try await JobStarter.start(client: client, vault: vault, waiting: waiting) {
            try await client.initiateInventoryRetrieval(vault: vault, format: format.uppercased(), snsTopic: snsTopic)
        }
    }
}

/// Starts a job, prints its id, and optionally waits for it with progress.
enum JobStarter {
    static func start(
        client: GlacierClient, vault: String, waiting: JobWaitOptions,
        initiate: () async throws -> InitiatedJob
    ) async throws {
        let endpoint = client.configuration.endpoint
        let job: InitiatedJob
        do { job = try await initiate() } catch { throw fail(error, endpoint) }
        print("started job \(job.jobId) in vault \(vault)")
        guard waiting.wait else {
            print("check on it with: glacierfs jobs \(vault)")
            return
        }
        let progress = ProgressDisplay()
        let started = Date()
        while true {
            let description: GlacierJobDescription
            do { description = try await client.describeJob(vault: vault, jobId: job.jobId) } catch {
                throw fail(error, endpoint)
            }
            let elapsed = Int(Date().timeIntervalSince(started))
            switch description.statusCode {
            case GlacierJobDescription.Status.succeeded:
                progress.finish(
                    "job \(job.jobId) Succeeded after \(elapsed / 60)m\(elapsed % 60)s: its output is at "
                        + "<mountpoint>/\(vault)/jobs/\(job.jobId)/output")
                return
            case GlacierJobDescription.Status.failed:
                progress.finish("job \(job.jobId) Failed: \(description.statusMessage ?? "no message")")
                throw ExitCode(GlacierExit.service)
            default:
                progress.update(
                    "waiting for job \(job.jobId): \(description.statusCode), \(elapsed / 60)m\(elapsed % 60)s elapsed")
            }
            if waiting.timeout > 0 && Double(elapsed) >= waiting.timeout {
                progress.finish("stopped waiting after \(elapsed) s; the job is still \(description.statusCode)")
                throw ExitCode(GlacierExit.failure)
            }
            let pause = min(
                waiting.pollInterval,
                waiting.timeout > 0 ? max(0.1, waiting.timeout - Double(elapsed)) : waiting.pollInterval)
            try await Task.sleep(nanoseconds: UInt64(max(0.1, pause) * 1e9))
        }
    }

    /// The error as the top level reports it: a message saying what to do, and its exit code.
    static func fail(_ error: any Error, _ endpoint: String) -> UserFacingError {
        ServiceErrorReport.userFacing(error, endpoint: endpoint)
    }
}

/// `--sns-topic`: InitiateJob's SNSTopic, the ARN of a topic the service notifies on completion.
enum SNSTopicOption {
    static func validate(_ arn: String?) throws {
        if let arn, !(arn.hasPrefix("arn:") && arn.split(separator: ":", omittingEmptySubsequences: false).count >= 6) {
            throw ValidationError(
                "--sns-topic must be an SNS topic ARN, e.g. arn:aws:sns:us-east-1:123456789012:my-topic")
        }
    }
}
