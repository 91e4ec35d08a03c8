import Foundation
import GlacierModel

/// DescribeJob and ListJobs.
enum JobQueryOperations {
    /// A job as served: record, phase and override, taken under the lock.
    struct Snapshot {
        let job: StoredJob
        let phase: JobPhase
    }

    static func describe(_ c: OperationContext, vault: String, jobId: String) throws -> HTTPResponse {
        let snap = try find(c, vault: vault, jobId: jobId)
        let description = JobDescriptionBuilder.describe(
            snap.job.record, phase: snap.phase,
            vaultARN: c.service.vaultARN(vault))
        guard let override = snap.job.override else { return .json(description) }
        return .json(bytes: Array(try JobDescriptionBuilder.json(description, override: override).serialized().utf8))
    }

    /// The job unless it is unknown or expired (both ResourceNotFoundException).
    static func find(_ c: OperationContext, vault: String, jobId: String) throws(ServiceError) -> Snapshot {
        let now = c.store.now
        return try c.store.withState { s throws(ServiceError) in
            let v = try c.requireVault(vault, in: s)
            guard let job = v.jobs[jobId] else { throw .notFound("The job ID was not found: \(jobId)") }
            let phase = c.store.phase(of: job.record, in: v, now: now)
            guard phase != .expired else { throw .notFound("The job ID was not found: \(jobId)") }
            return Snapshot(job: job, phase: phase)
        }
    }

    /// Jobs in creation order, filtered by `statuscode` and `completed`; the marker is the id of
    /// the first job of the next page.
    static func list(_ c: OperationContext, vault: String) throws -> HTTPResponse {
        let limit = try Pagination.limit(c, default: 50, max: 1000)
        let status = c.request.query["statuscode"]
        if let status,
            ![
                GlacierJobDescription.Status.inProgress, GlacierJobDescription.Status.succeeded,
                GlacierJobDescription.Status.failed,
            ].contains(status)
        {
            throw ServiceError.invalidParameter("Invalid statuscode '\(status)': use InProgress, Succeeded or Failed.")
        }
        let completedText = c.request.query["completed"]
        if let completedText, completedText != "true" && completedText != "false" {
            throw ServiceError.invalidParameter("Invalid completed '\(completedText)': use true or false.")
        }
        let completed = completedText.map { $0 == "true" }
        let marker = Pagination.marker(c)
        let now = c.store.now
        let (page, next) = try c.store.withState { s throws(ServiceError) -> ([Snapshot], String?) in
            let v = try c.requireVault(vault, in: s)
            var index = 0
            if let marker {
                guard let i = v.jobs.index(of: marker) else {
                    throw .invalidParameter("Invalid marker '\(marker)': no such job.")
                }
                index = i
            }
            var page: [Snapshot] = []
            while index < v.jobs.count {
                let id = v.jobs.order[index]
                index += 1
                guard let job = v.jobs[id] else { continue }
                let phase = c.store.phase(of: job.record, in: v, now: now)
                guard phase != .expired, status.map({ $0 == phase.statusCode }) ?? true,
                    completed.map({ $0 == phase.isCompleted }) ?? true
                else { continue }
                if page.count == limit { return (page, id) }
                page.append(Snapshot(job: job, phase: phase))
            }
            return (page, nil)
        }
        let arn = c.service.vaultARN(vault)
        let descriptions = page.map { JobDescriptionBuilder.describe($0.job.record, phase: $0.phase, vaultARN: arn) }
        guard page.contains(where: { $0.job.override != nil }) else {
            return .json(ListJobsOutput(jobList: descriptions, marker: next))
        }
        var items: [JSONValue] = []
        for (snap, description) in zip(page, descriptions) {
            items.append(try JobDescriptionBuilder.json(description, override: snap.job.override))
        }
        let document = JSONValue.object([("JobList", .array(items)), ("Marker", next.map(JSONValue.string) ?? .null)])
        return .json(bytes: Array(document.serialized().utf8))
    }
}
