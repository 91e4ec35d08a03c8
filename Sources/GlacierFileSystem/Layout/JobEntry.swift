import Foundation
import GlacierModel
import OutputCache

/// One job as the filesystem shows it.
public struct JobEntry: Sendable {
    public enum Source: Sendable, Equatable {
        /// Listed by the service just now.
        case service
        /// Known only from the cache: the job expired, or the service cannot be reached.
        case cacheOnly
    }

    public var vault: String
    public var job: GlacierJobDescription
    public var source: Source
    /// The output file's shape; nil when the job has no output (InProgress, Failed) and an
    /// error when its description is unusable.
    public var shape: Result<JobOutputShape, JobShapeError>?

    init(vault: String, job: GlacierJobDescription, source: Source, allowUnverified: Bool) {
        self.vault = vault
        self.job = job
        self.source = source
        if job.hasSucceeded {
            shape = Result { () throws(JobShapeError) in try JobOutputShape.of(job, allowUnverified: allowUnverified) }
        }
    }

    /// The output's shape when the job has a usable output.
    public var outputShape: JobOutputShape? {
        if case .success(let s) = shape { return s }
        return nil
    }

    /// When the output was produced: the file's mtime.
    public var completionDate: Date {
        job.completionDate.flatMap(GlacierTimestamp.parse) ?? job.creationDate.flatMap(GlacierTimestamp.parse)
            ?? Date(timeIntervalSince1970: 0)
    }
}

/// One vault as the filesystem shows it.
public struct VaultEntry: Sendable {
    public var name: String
    public var creationDate: Date
    /// The account from the vault's ARN, used to key the cache.
    public var accountId: String?
}
