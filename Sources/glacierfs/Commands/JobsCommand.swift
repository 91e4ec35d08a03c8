import ArgumentParser
import Foundation
import GlacierClient
import GlacierModel

struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "List a vault's jobs: id, action, status, size, completion and when the output expires.")

    @Argument(help: "The vault.")
    var vault: String

    @OptionGroup var service: ServiceOptions

    @Option(help: "Only jobs with this status: InProgress, Succeeded or Failed.")
    var status: String?

    @Flag(help: "Print the job descriptions as JSON.")
    var json = false

    func validate() throws {
        if let status, !["InProgress", "Succeeded", "Failed"].contains(status) {
            throw ValidationError("--status must be InProgress, Succeeded or Failed")
        }
    }

    func run() async throws {
        RedactingLogHandler.bootstrap(level: service.logLevel)
        let client = try service.makeClient()
        let listing: JobListing
        do {
            listing = try await client.listJobs(vault: vault, statusCode: status)
        } catch {
            throw ServiceErrorReport.userFacing(error, endpoint: client.configuration.endpoint)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(listing.jobs), as: UTF8.self))
            return
        }
        var table = TextTable(header: ["JOB ID", "ACTION", "STATUS", "SIZE", "COMPLETED", "EXPIRES (about)"])
        for job in listing.jobs.sorted(by: { ($0.creationDate ?? "") < ($1.creationDate ?? "") }) {
            table.rows.append([
                job.jobId, job.action, job.statusCode, Self.size(of: job),
                job.completionDate.map(Self.shortDate) ?? "-", Self.expiry(of: job),
            ])
        }
        print(listing.jobs.isEmpty ? "no jobs in vault \(vault)" : table.render())
        for skipped in listing.skipped { print("skipped: \(skipped)") }
    }

    static func size(of job: GlacierJobDescription) -> String {
        if job.isInventoryRetrieval { return job.inventorySizeInBytes.map { ByteSize.format($0) } ?? "-" }
        if let range = job.retrievalByteRange.flatMap(InclusiveByteRange.init) { return ByteSize.format(range.length) }
        return job.archiveSizeInBytes.map { ByteSize.format($0) } ?? "-"
    }

    static func shortDate(_ text: String) -> String {
        guard let d = GlacierTimestamp.parse(text) else { return text }
        return GlacierTimestamp.format(d).prefix(16).replacingOccurrences(of: "T", with: " ") + "Z"
    }

    /// Outputs stay downloadable for about 24 hours after completion.
    static func expiry(of job: GlacierJobDescription) -> String {
        guard job.hasSucceeded, let done = job.completionDate.flatMap(GlacierTimestamp.parse) else { return "-" }
        let expires = done.addingTimeInterval(24 * 3600)
        let left = expires.timeIntervalSinceNow
        let when = GlacierTimestamp.format(expires).prefix(16).replacingOccurrences(of: "T", with: " ") + "Z"
        return left <= 0 ? "\(when) (expired)" : "\(when) (in \(Int(left / 3600))h\(Int(left / 60) % 60)m)"
    }
}
