import NIOHTTP1

/// Maps a method and the path segments after the account id onto an operation.
enum Router {
    /// `segments` are the decoded path segments after `/{accountId}`.
    static func route(method: HTTPMethod, segments: [String]) -> GlacierOperation? {
        guard segments.first == "vaults" else { return nil }
        let rest = Array(segments.dropFirst())
        switch (method, rest.count) {
        case (.GET, 0): return .listVaults
        case (.PUT, 1): return .createVault(vault: rest[0])
        case (.GET, 1): return .describeVault(vault: rest[0])
        case (.DELETE, 1): return .deleteVault(vault: rest[0])
        default: break
        }
        guard rest.count >= 2 else { return nil }
        let vault = rest[0]
        switch (method, rest[1], rest.count) {
        case (.POST, "archives", 2): return .uploadArchive(vault: vault)
        case (.DELETE, "archives", 3): return .deleteArchive(vault: vault, archiveId: rest[2])
        case (.POST, "multipart-uploads", 2): return .initiateMultipartUpload(vault: vault)
        case (.GET, "multipart-uploads", 2): return .listMultipartUploads(vault: vault)
        case (.PUT, "multipart-uploads", 3): return .uploadMultipartPart(vault: vault, uploadId: rest[2])
        case (.POST, "multipart-uploads", 3): return .completeMultipartUpload(vault: vault, uploadId: rest[2])
        case (.DELETE, "multipart-uploads", 3): return .abortMultipartUpload(vault: vault, uploadId: rest[2])
        case (.GET, "multipart-uploads", 3): return .listParts(vault: vault, uploadId: rest[2])
        case (.POST, "jobs", 2): return .initiateJob(vault: vault)
        case (.GET, "jobs", 2): return .listJobs(vault: vault)
        case (.GET, "jobs", 3): return .describeJob(vault: vault, jobId: rest[2])
        case (.GET, "jobs", 4) where rest[3] == "output": return .getJobOutput(vault: vault, jobId: rest[2])
        default: return nil
        }
    }
}
