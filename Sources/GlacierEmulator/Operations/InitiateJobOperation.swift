import Foundation
import GlacierModel
import NIOCore
import NIOHTTP1

/// InitiateJob: archive retrievals (whole or ranged) and inventory retrievals (JSON or CSV).
enum InitiateJobOperation {
    static func run(_ c: OperationContext, vault: String) async throws -> HTTPResponse {
        let parameters = try decode(c.body)
        if let d = parameters.description {
            guard d.utf8.count <= 1024, d.utf8.allSatisfy({ $0 >= 0x20 && $0 <= 0x7e }) else {
                throw ServiceError.invalidParameter(
                    "The job description must be at most 1024 printable ASCII "
                        + "characters.")
            }
        }
        let id = Identifiers.jobId()
        let now = c.store.now
        let delay = c.service.configuration.jobDelay
        let layout = c.store.layout
        let job: JobRecord
        switch parameters.type {
        case JobParameters.JobType.archiveRetrieval:
            job = try archiveJob(c, vault: vault, id: id, parameters: parameters, now: now, delay: delay)
            try await c.store.createDirectory(layout.job(vault, id))
        case JobParameters.JobType.inventoryRetrieval:
            let format = parameters.format ?? "JSON"
            guard JobParameters.inventoryFormats.contains(format) else {
                throw ServiceError.invalidParameter("Invalid inventory format '\(format)': use JSON or CSV.")
            }
            let filter = try dateFilter(parameters.inventoryRetrievalParameters)
            let (archives, sequence) = try c.store.withState { s throws(ServiceError) in
                let v = try c.requireVault(vault, in: s)
                s.nextJobSequence += 1
                return (v.liveArchives.map(\.record).filter { filter.contains($0.creationDate) }, s.nextJobSequence - 1)
            }
            let output = try InventoryBuilder.output(
                vaultARN: c.service.vaultARN(vault), date: now,
                archives: archives, format: format)
            try await c.store.createDirectory(layout.job(vault, id))
            try await c.store.writeBytes(output, to: layout.jobOutput(vault, id))
            let relative = String(layout.jobOutput(vault, id).dropFirst(layout.root.count + 1))
            job = JobFactory.inventoryJob(
                id: id, format: format, outputFile: relative, outputSize: Int64(output.count),
                description: parameters.description, snsTopic: parameters.snsTopic,
                now: now, delay: delay, sequence: sequence)
        case "select":
            throw ServiceError(
                .badRequest, GlacierErrorCode.noLongerSupported,
                "Select jobs are not supported by this emulator.")
        default:
            throw ServiceError.invalidParameter(
                "Invalid job type '\(parameters.type)': use archive-retrieval or "
                    + "inventory-retrieval.")
        }
        try await c.store.writeJSON(job, to: layout.jobMeta(vault, id))
        try c.store.withState { s throws(ServiceError) in
            guard s.vaults[vault] != nil else { throw c.service.vaultNotFound(vault) }
            s.vaults[vault]!.jobs[id] = StoredJob(record: job)
            if job.kind == .inventory { s.vaults[vault]!.lastInventoryDate = now }
        }
        var headers = HTTPHeaders()
        headers.add(name: "Location", value: c.location("\(vault)/jobs/\(id)"))
        headers.add(name: GlacierProtocol.Header.jobId, value: id)
        return HTTPResponse(status: .accepted, headers: headers)
    }

    private static func decode(_ body: ByteBuffer) throws(ServiceError) -> JobParameters {
        guard body.readableBytes > 0 else { throw .missingParameter("The job parameters (a JSON body) are missing.") }
        do {
            return try JSONDecoder().decode(JobParameters.self, from: Data(body.readableBytesView))
        } catch DecodingError.keyNotFound(let key, _) {
            throw .missingParameter("The job parameters lack the required field \(key.stringValue).")
        } catch DecodingError.typeMismatch(_, let context) {
            throw .invalidParameter(
                "Invalid job parameters: wrong type at "
                    + "\(context.codingPath.map(\.stringValue).joined(separator: ".")).")
        } catch {
            throw .invalidParameter("The job parameters are not valid JSON.")
        }
    }

    private static func archiveJob(
        _ c: OperationContext, vault: String, id: String, parameters p: JobParameters,
        now: Date, delay: TimeInterval
    ) throws(ServiceError) -> JobRecord {
        guard let archiveId = p.archiveId, !archiveId.isEmpty else {
            throw .missingParameter("An archive-retrieval job needs an ArchiveId.")
        }
        let tier = p.tier ?? "Standard"
        guard JobParameters.tiers.contains(tier) else {
            throw .invalidParameter("Invalid tier '\(tier)': use Expedited, Standard or Bulk.")
        }
        return try c.store.withState { s throws(ServiceError) in
            let v = try c.requireVault(vault, in: s)
            guard let archive = v.archives[archiveId], archive.record.deletedAt == nil else {
                throw .notFound("Archive not found: \(archiveId)")
            }
            var range: InclusiveByteRange?
            if let text = p.retrievalByteRange {
                guard let r = InclusiveByteRange(text) else {
                    throw .invalidParameter("Invalid RetrievalByteRange '\(text)': expected 'StartByte-EndByte'.")
                }
                if let why = RetrievalRangeRule.violation(r, archiveSize: archive.record.size) {
                    throw .invalidParameter(why)
                }
                range = r
            }
            s.nextJobSequence += 1
            return JobFactory.archiveJob(
                id: id, archive: archive, range: range, tier: tier,
                description: p.description, snsTopic: p.snsTopic, now: now, delay: delay,
                sequence: s.nextJobSequence - 1)
        }
    }

    /// StartDate and EndDate select archives created in [start, end). Limit and Marker are refused.
    private static func dateFilter(_ input: InventoryRetrievalJobInput?) throws(ServiceError) -> Range<Date> {
        guard let input else { return Date.distantPast ..< Date.distantFuture }
        if input.limit != nil || input.marker != nil {
            throw .invalidParameter("Inventory Limit and Marker are not supported by this emulator.")
        }
        func parse(_ text: String?, _ fallback: Date, _ name: String) throws(ServiceError) -> Date {
            guard let text else { return fallback }
            guard let date = GlacierTimestamp.parse(text) else {
                throw .invalidParameter("Invalid \(name) '\(text)': expected YYYY-MM-DDThh:mm:ssZ.")
            }
            return date
        }
        let start = try parse(input.startDate, .distantPast, "StartDate")
        let end = try parse(input.endDate, .distantFuture, "EndDate")
        guard start < end else { throw .invalidParameter("StartDate must be before EndDate.") }
        return start ..< end
    }
}
