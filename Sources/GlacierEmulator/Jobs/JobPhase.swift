import Foundation
import GlacierModel

/// Where a job stands at a moment on the job clock. Status is never stored: it follows from the
/// job's times, so advancing the clock completes and expires jobs without touching them.
enum JobPhase: Sendable, Equatable {
    case inProgress
    case succeeded(completedAt: Date)
    case failed(completedAt: Date, message: String)
    /// Past its output lifetime: the service no longer knows the job.
    case expired

    static func of(_ job: JobRecord, archiveDeletedAt: Date?, now: Date, outputLifetime: TimeInterval) -> JobPhase {
        if now < job.completesAt { return .inProgress }
        if now >= job.completesAt.addingTimeInterval(outputLifetime) { return .expired }
        if let deleted = archiveDeletedAt, deleted < job.completesAt {
            return .failed(
                completedAt: job.completesAt,
                message: "The archive was deleted before the job completed.")
        }
        return .succeeded(completedAt: job.completesAt)
    }

    var statusCode: String {
        switch self {
        case .inProgress: GlacierJobDescription.Status.inProgress
        case .succeeded: GlacierJobDescription.Status.succeeded
        case .failed, .expired: GlacierJobDescription.Status.failed
        }
    }

    var isCompleted: Bool {
        if case .inProgress = self { return false }
        return true
    }

    /// Whether the job still serves its archive's data. (A job in progress on a deleted archive
    /// will fail, so only succeeded jobs keep a deleted archive's data alive.)
    var needsData: Bool {
        if case .succeeded = self { return true }
        return false
    }
}
