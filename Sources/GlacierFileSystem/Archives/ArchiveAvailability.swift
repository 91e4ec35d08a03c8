import Foundation
import GlacierModel

/// Whether an archive's bytes can be read now, and how; decided from the job listing and the cache
/// alone, so an archive that cannot be read fails at once, without a network call.
enum ArchiveAvailability {
    /// A succeeded whole-archive retrieval whose output the service still serves.
    case downloadable(JobEntry, JobOutputShape)
    /// A retrieval whose output is wholly in the cache (its job may have expired).
    case cached(JobEntry, JobOutputShape)
    case inProgress(jobId: String)
    /// A retrieval succeeded once, but its output expired before all of it was cached.
    case expired(jobId: String)
    case notRetrieved

    /// Outputs are downloadable for at least 24 hours after the job completes (Glacier's guarantee).
    static let outputLifetime: TimeInterval = 24 * 3600

    /// The value of `user.glacier.availability`.
    var label: String {
        switch self {
        case .downloadable(let job, _):
            let until = GlacierTimestamp.format(job.completionDate.addingTimeInterval(Self.outputLifetime))
            return "downloadable via job \(job.job.jobId) until about \(until)"
        case .cached(let job, _): return "cached (job \(job.job.jobId))"
        case .inProgress(let id): return "retrieval in progress (job \(id))"
        case .expired(let id): return "expired: job \(id)'s output is no longer downloadable and is not fully cached"
        case .notRetrieved: return "not retrieved"
        }
    }

    /// The errno a read gets when the bytes cannot be had: ENODATA for "there is nothing to read",
    /// EAGAIN for "try again once the retrieval completes".
    var errno: Int32? {
        switch self {
        case .downloadable, .cached: nil
        case .inProgress: EAGAIN
        case .expired, .notRetrieved: ENODATA
        }
    }
}
