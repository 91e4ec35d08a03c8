/// One Glacier API operation, with the resource names taken from its path.
enum GlacierOperation: Sendable, Equatable {
    case listVaults
    case createVault(vault: String)
    case describeVault(vault: String)
    case deleteVault(vault: String)
    case uploadArchive(vault: String)
    case deleteArchive(vault: String, archiveId: String)
    case initiateMultipartUpload(vault: String)
    case listMultipartUploads(vault: String)
    case uploadMultipartPart(vault: String, uploadId: String)
    case completeMultipartUpload(vault: String, uploadId: String)
    case abortMultipartUpload(vault: String, uploadId: String)
    case listParts(vault: String, uploadId: String)
    case initiateJob(vault: String)
    case listJobs(vault: String)
    case describeJob(vault: String, jobId: String)
    case getJobOutput(vault: String, jobId: String)

    /// The operation's name in the API model, used for statistics, faults and overrides.
    var name: String {
        switch self {
        case .listVaults: "ListVaults"
        case .createVault: "CreateVault"
        case .describeVault: "DescribeVault"
        case .deleteVault: "DeleteVault"
        case .uploadArchive: "UploadArchive"
        case .deleteArchive: "DeleteArchive"
        case .initiateMultipartUpload: "InitiateMultipartUpload"
        case .listMultipartUploads: "ListMultipartUploads"
        case .uploadMultipartPart: "UploadMultipartPart"
        case .completeMultipartUpload: "CompleteMultipartUpload"
        case .abortMultipartUpload: "AbortMultipartUpload"
        case .listParts: "ListParts"
        case .initiateJob: "InitiateJob"
        case .listJobs: "ListJobs"
        case .describeJob: "DescribeJob"
        case .getJobOutput: "GetJobOutput"
        }
    }

    static let allNames: Set<String> = [
        "ListVaults", "CreateVault", "DescribeVault", "DeleteVault", "UploadArchive", "DeleteArchive",
        "InitiateMultipartUpload", "ListMultipartUploads", "UploadMultipartPart", "CompleteMultipartUpload",
        "AbortMultipartUpload", "ListParts", "InitiateJob", "ListJobs", "DescribeJob", "GetJobOutput",
    ]

    /// Whether the request body is streamed to disk (archive data) rather than read into memory.
    var streamsBody: Bool {
        switch self {
        case .uploadArchive, .uploadMultipartPart: true
        default: false
        }
    }
}
