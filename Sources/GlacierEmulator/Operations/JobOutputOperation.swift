import GlacierIntegrity
import GlacierModel
import NIOCore
import NIOHTTP1

/// GetJobOutput: the retrieved bytes (or inventory), whole or one range of them, straight from the
/// stored file, with a tree hash exactly when both the job's retrieval range and the download range
/// are tree-hash aligned (design.md §2). Ranged hashes come from the leaves stored at upload.
enum JobOutputOperation {
    /// What GetJobOutput needs about a job, taken under the lock.
    private struct Source {
        let path: String
        /// Where the output starts in `path`.
        let fileOffset: Int64
        let size: Int64
        let contentType: String
        let archiveDescription: String?
        /// For archive jobs whose retrieval range is aligned: the output's leaf digests.
        let leaves: ArraySlice<SHA256Digest>?
        let wholeTreeHash: String?
    }

    static func run(_ c: OperationContext, vault: String, jobId: String) async throws -> HTTPResponse {
        let source = try locate(c, vault: vault, jobId: jobId)
        var range: InclusiveByteRange?
        if let text = c.request.header("Range") {
            switch try RangeHeader.resolve(text, size: source.size) {
            case .satisfiable(let r): range = r
            case .unsatisfiable:
                var response = HTTPResponse.error(
                    ServiceError(
                        .rangeNotSatisfiable, GlacierErrorCode.invalidParameterValue,
                        "The requested range '\(text)' is not satisfiable: the output is \(source.size) bytes."))
                response.headers.add(name: "Content-Range", value: "bytes */\(source.size)")
                return response
            }
        }
        let first = range?.first ?? 0
        let length = range?.length ?? source.size
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: source.contentType)
        headers.add(name: "Accept-Ranges", value: "bytes")
        if length > 0 {
            headers.add(
                name: "Content-Range",
                value: ContentRange(
                    range: InclusiveByteRange(first: first, last: first + length - 1)!, total: source.size
                ).header)
        }
        if let d = source.archiveDescription, !d.isEmpty {
            headers.add(name: GlacierProtocol.Header.archiveDescription, value: d)
        }
        if let hash = checksum(source, range: range) { headers.add(name: GlacierProtocol.Header.treeHash, value: hash) }
        let path = source.path
        let handle = try await c.store.io.run {
            NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: try FileOps.openForReading(path))
        }
        return HTTPResponse(
            status: range == nil ? .ok : .partialContent, headers: headers,
            body: .file(FileSlice(handle: handle, offset: source.fileOffset + first, length: length)))
    }

    private static func locate(_ c: OperationContext, vault: String, jobId: String) throws(ServiceError) -> Source {
        let snap = try JobQueryOperations.find(c, vault: vault, jobId: jobId)
        switch snap.phase {
        case .inProgress:
            throw .invalidParameter("The job is not currently available for download: \(jobId)")
        case .failed(_, let message):
            throw .invalidParameter("The job failed and has no output: \(message)")
        case .expired:
            throw .notFound("The job ID was not found: \(jobId)")
        case .succeeded:
            break
        }
        let job = snap.job.record
        let layout = c.store.layout
        switch job.kind {
        case .inventory:
            return Source(
                path: layout.root + "/" + (job.outputFile ?? ""), fileOffset: 0, size: job.outputSize ?? 0,
                contentType: job.format == "CSV" ? "text/csv" : "application/json",
                archiveDescription: nil, leaves: nil, wholeTreeHash: nil)
        case .archive:
            guard let archiveId = job.archiveId,
                let archive = c.store.withState({ $0.vaults[vault]?.archives[archiveId] })
            else {
                throw .notFound("The archive of job \(jobId) no longer exists.")
            }
            let retrieved = job.retrievalRange
            var leaves: ArraySlice<SHA256Digest>?
            if job.retrievedTreeHash != nil {
                let bytes = retrieved.map { $0.lowerBound ..< $0.upperBound + 1 } ?? 0 ..< 0
                leaves =
                    bytes.isEmpty
                    ? archive.leaves[...]
                    : archive.leaves[TreeGeometry(size: archive.record.size).leaves(covering: bytes)]
            }
            return Source(
                path: layout.archiveData(vault, archiveId), fileOffset: retrieved?.lowerBound ?? 0,
                size: retrieved.map { $0.upperBound - $0.lowerBound + 1 } ?? 0,
                contentType: "application/octet-stream", archiveDescription: job.archiveDescription,
                leaves: leaves, wholeTreeHash: job.retrievedTreeHash)
        }
    }

    /// The tree hash of the bytes sent, when the rule says it is sent.
    private static func checksum(_ source: Source, range: InclusiveByteRange?) -> String? {
        guard let leaves = source.leaves, let whole = source.wholeTreeHash else { return nil }
        return RangeTreeHash.of(range, size: source.size, leaves: leaves, whole: whole)
    }
}
