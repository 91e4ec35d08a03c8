/// Calls the handler of each operation.
enum OperationDispatcher {
    static func run(_ operation: GlacierOperation, context c: OperationContext) async throws -> HTTPResponse {
        switch operation {
        case .listVaults: try VaultOperations.list(c)
        case .createVault(let v): try await VaultOperations.create(c, vault: v)
        case .describeVault(let v): try VaultOperations.describe(c, vault: v)
        case .deleteVault(let v): try await VaultOperations.delete(c, vault: v)
        case .uploadArchive(let v): try await ArchiveOperations.upload(c, vault: v)
        case .deleteArchive(let v, let id): try await ArchiveOperations.delete(c, vault: v, archiveId: id)
        case .initiateMultipartUpload(let v): try await MultipartOperations.initiate(c, vault: v)
        case .listMultipartUploads(let v): try MultipartOperations.listUploads(c, vault: v)
        case .uploadMultipartPart(let v, let u): try await MultipartOperations.uploadPart(c, vault: v, uploadId: u)
        case .completeMultipartUpload(let v, let u): try await MultipartOperations.complete(c, vault: v, uploadId: u)
        case .abortMultipartUpload(let v, let u): try await MultipartOperations.abort(c, vault: v, uploadId: u)
        case .listParts(let v, let u): try MultipartOperations.listParts(c, vault: v, uploadId: u)
        case .initiateJob(let v): try await InitiateJobOperation.run(c, vault: v)
        case .listJobs(let v): try JobQueryOperations.list(c, vault: v)
        case .describeJob(let v, let j): try JobQueryOperations.describe(c, vault: v, jobId: j)
        case .getJobOutput(let v, let j): try await JobOutputOperation.run(c, vault: v, jobId: j)
        }
    }
}
