import Foundation
import GlacierModel

/// Turns a job record and its phase into the `GlacierJobDescription` that DescribeJob and ListJobs
/// serve, and applies admin overrides to the served JSON.
enum JobDescriptionBuilder {
    static func describe(_ job: JobRecord, phase: JobPhase, vaultARN: String) -> GlacierJobDescription {
        let archive = job.kind == .archive
        var d = GlacierJobDescription(
            jobId: job.id,
            action: archive
                ? GlacierJobDescription.Action.archiveRetrieval
                : GlacierJobDescription.Action.inventoryRetrieval,
            statusCode: phase.statusCode, completed: phase.isCompleted)
        d.jobDescription = job.description
        d.vaultARN = vaultARN
        d.creationDate = GlacierTimestamp.format(job.creationDate)
        d.snsTopic = job.snsTopic
        switch phase {
        case .inProgress: break
        case .succeeded(let at):
            d.completionDate = GlacierTimestamp.format(at)
            d.statusMessage = "Succeeded"
        case .failed(let at, let message):
            d.completionDate = GlacierTimestamp.format(at)
            d.statusMessage = message
        case .expired:
            d.statusMessage = "Expired"
        }
        if archive {
            d.archiveId = job.archiveId
            d.archiveSizeInBytes = job.archiveSize
            d.archiveSHA256TreeHash = job.archiveTreeHash
            d.sha256TreeHash = job.retrievedTreeHash
            d.retrievalByteRange = job.retrievalRange.map { "\($0.lowerBound)-\($0.upperBound)" }
            d.tier = job.tier
        } else {
            if case .succeeded = phase { d.inventorySizeInBytes = job.outputSize }
            d.inventoryRetrievalParameters = InventoryRetrievalJobDescription(format: job.format)
        }
        return d
    }

    /// The description as JSON, with the override's members replacing the real ones.
    static func json(_ description: GlacierJobDescription, override: JSONValue?) throws -> JSONValue {
        let parsed = try JSONParser.parse(WireJSON.encode(description))
        return override.map { parsed.merging($0) } ?? parsed
    }
}
