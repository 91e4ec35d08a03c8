import Foundation
import GlacierModel
import Logging

/// The job id and location InitiateJob answers with.
public struct InitiatedJob: Sendable, Equatable {
    public var jobId: String
    public var location: String?
}

/// A listing, with the entries that could not be read (hostile or garbled) set aside rather
/// than failing the whole listing.
public struct JobListing: Sendable {
    public var jobs: [GlacierJobDescription]
    /// One line per entry skipped, saying why.
    public var skipped: [String]
}

extension GlacierClient {
    /// Every job of a vault, following all pages, optionally filtered as ListJobs allows.
    public func listJobs(
        vault: String, statusCode: String? = nil, completed: Bool? = nil,
        pageSize: Int = 1000
    ) async throws(GlacierError) -> JobListing {
        var listing = JobListing(jobs: [], skipped: [])
        var marker: String?
        repeat {
            var request = GlacierRequest(operation: "ListJobs", method: "GET", pathSegments: ["vaults", vault, "jobs"])
            request.query.append(("limit", String(pageSize)))
            if let marker { request.query.append(("marker", marker)) }
            if let statusCode { request.query.append(("statuscode", statusCode)) }
            if let completed { request.query.append(("completed", completed ? "true" : "false")) }
            let page = try await execute(request, timeout: configuration.operationTimeoutSeconds) {
                r throws(GlacierError) in
                try decode(TolerantJobPage.self, from: r, operation: "ListJobs")
            }
            for entry in page.entries {
                switch entry {
                case .success(let job): listing.jobs.append(job)
                case .failure(let failure): listing.skipped.append(failure.reason)
                }
            }
            marker = Self.nextMarker(page.marker, previous: marker)
        } while marker != nil
        for reason in listing.skipped {
            logger.warning("skipping an unreadable job entry", metadata: ["vault": "\(vault)", "reason": "\(reason)"])
        }
        return listing
    }

    public func describeJob(vault: String, jobId: String) async throws(GlacierError) -> GlacierJobDescription {
        let request = GlacierRequest(
            operation: "DescribeJob", method: "GET",
            pathSegments: ["vaults", vault, "jobs", jobId])
        return try await execute(request, timeout: configuration.operationTimeoutSeconds) { r throws(GlacierError) in
            try decode(GlacierJobDescription.self, from: r, operation: "DescribeJob")
        }
    }

    /// Starts an archive retrieval, of the whole archive or of `range` (inclusive bytes).
    /// `snsTopic` is the ARN of an SNS topic the service notifies when the job completes.
    public func initiateArchiveRetrieval(
        vault: String, archiveId: String, range: InclusiveByteRange? = nil,
        tier: String? = nil, description: String? = nil, snsTopic: String? = nil,
        retry: RetryPolicy? = nil
    )
        async throws(GlacierError) -> InitiatedJob
    {
        var parameters = JobParameters(
            type: JobParameters.JobType.archiveRetrieval, archiveId: archiveId,
            description: description, retrievalByteRange: range?.description, tier: tier)
        parameters.snsTopic = snsTopic
        return try await initiateJob(vault: vault, parameters: parameters, retry: retry)
    }

    /// Starts an inventory retrieval; `format` is `JSON` or `CSV`.
    public func initiateInventoryRetrieval(
        vault: String, format: String = "JSON", description: String? = nil,
        snsTopic: String? = nil, retry: RetryPolicy? = nil
    )
        async throws(GlacierError) -> InitiatedJob
    {
        var parameters = JobParameters(
            type: JobParameters.JobType.inventoryRetrieval, description: description,
            format: format)
        parameters.snsTopic = snsTopic
        return try await initiateJob(vault: vault, parameters: parameters, retry: retry)
    }

    /// Starts a job. A retried InitiateJob whose first answer was lost may start a second job:
    /// callers that must not pay twice pass `RetryPolicy(maxAttempts: 1)` and reconcile with ListJobs.
    public func initiateJob(
        vault: String, parameters: JobParameters,
        retry: RetryPolicy? = nil
    ) async throws(GlacierError) -> InitiatedJob {
        let body: [UInt8]
        do { body = Array(try JSONEncoder().encode(parameters)) } catch {
            throw .invalidConfiguration("could not encode the job parameters: \(error)")
        }
        var request = GlacierRequest(
            operation: "InitiateJob", method: "POST", pathSegments: ["vaults", vault, "jobs"],
            body: .bytes(body))
        request.headers.add("Content-Type", "application/json")
        return try await execute(request, timeout: configuration.operationTimeoutSeconds, retry: retry) {
            r throws(GlacierError) in
            guard let id = r.headers[GlacierProtocol.Header.jobId], !id.isEmpty else {
                throw .malformedResponse("InitiateJob answered without an x-amz-job-id header")
            }
            return InitiatedJob(jobId: id, location: r.headers["Location"])
        }
    }
}

/// A ListJobs page whose entries are decoded one by one.
struct TolerantJobPage: Decodable {
    var entries: [Result<GlacierJobDescription, JobEntryError>]
    var marker: String?

    struct JobEntryError: Error { var reason: String }

    enum CodingKeys: String, CodingKey { case jobList = "JobList", marker = "Marker" }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        marker = try c.decodeIfPresent(String.self, forKey: .marker)
        var list = try c.nestedUnkeyedContainer(forKey: .jobList)
        entries = []
        while !list.isAtEnd {
            let index = list.currentIndex
            if let job = try? list.decode(GlacierJobDescription.self) {
                entries.append(.success(job))
            } else {
                _ = try list.decode(SkipAnything.self)  // step over the bad entry
                entries.append(
                    .failure(JobEntryError(reason: "entry \(index) of the page is not a valid job description")))
            }
        }
    }
}

/// Decodes and discards any JSON value.
struct SkipAnything: Decodable {
    init(from decoder: any Decoder) throws {}
}
