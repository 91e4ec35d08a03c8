import Foundation
import OutputCache

extension GlacierFileSystem {
    /// On the mount root: a JSON document of what is cached and verified and of the transfer
    /// counters, read by `glacierfs status`.
    public static let statusAttribute = "user.glacierfs.status"

    enum OutputAttribute {
        static let archiveId = "user.glacier.archive-id"
        static let jobId = "user.glacier.job-id"
        static let archiveDescription = "user.glacier.archive-description"
        static let treeHash = "user.glacier.sha256-tree-hash"
        static let verified = "user.glacier.verified"
        static let mimeType = "user.mime_type"
    }

    public func extendedAttributeNames(inode: UInt64) async -> Result<[String], FileSystemError> {
        guard let kind = inodes.kind(of: inode) else { return .failure(.notFound) }
        switch kind {
        case .root:
            return .success([Self.statusAttribute])
        case .output(let v, let j):
            guard let job = await catalog.jobs(vault: v)[j] else { return .failure(.notFound) }
            var names = [OutputAttribute.jobId, OutputAttribute.verified, OutputAttribute.mimeType]
            if job.outputShape?.isInventory == false { names.append(OutputAttribute.archiveDescription) }
            if job.job.archiveId != nil { names.append(OutputAttribute.archiveId) }
            if job.job.sha256TreeHash != nil { names.append(OutputAttribute.treeHash) }
            return .success(names)
        case .archiveDirectory(let v, _), .archiveFile(let v, _):
            return .success(await archiveAttributeNames(vault: v, kind: kind))
        default:
            return .success([])
        }
    }

    public func extendedAttribute(inode: UInt64, name: String) async -> Result<[UInt8], FileSystemError> {
        guard let kind = inodes.kind(of: inode) else { return .failure(.notFound) }
        switch kind {
        case .root where name == Self.statusAttribute:
            let data = (try? Self.statusEncoder.encode(status())) ?? Data()
            return .success(Array(data))
        case .output(let v, let j):
            guard let job = await catalog.jobs(vault: v)[j], let shape = job.outputShape else {
                return .failure(.notFound)
            }
            let value: String?
            switch name {
            case OutputAttribute.jobId: value = j
            case OutputAttribute.archiveId: value = job.job.archiveId
            case OutputAttribute.treeHash: value = job.job.sha256TreeHash
            case OutputAttribute.verified: value = verificationSummary(job: job, shape: shape)
            case OutputAttribute.mimeType: value = await mediaType(job: job, shape: shape)
            case OutputAttribute.archiveDescription:
                value =
                    shape.isInventory
                    ? nil : await responseHeaderValue(job: job, shape: shape) { $0.archiveDescription }
            default: value = nil
            }
            guard let value else { return .failure(.noAttribute) }
            return .success(Array(value.utf8))
        case .archiveDirectory(let v, _), .archiveFile(let v, _):
            guard let value = await archiveAttribute(vault: v, kind: kind, name: name) else {
                return .failure(.noAttribute)
            }
            return .success(Array(value.utf8))
        default:
            return .failure(.noAttribute)
        }
    }

    /// `none`, `N of M leaves`, `complete (root matched)`, `root mismatch…`, or why the output is
    /// not verified.
    func verificationSummary(job: JobEntry, shape: JobOutputShape) -> String {
        let key = catalog.outputKey(vault: job.vault, jobId: job.job.jobId)
        let usage = cache.existingEntry(for: key)?.usage
        if let check = usage?.wholeOutputCheck, check.result == .mismatched { return usage!.verificationSummary }
        switch shape.verification {
        case .refused(let reason):
            return "refused: \(reason)"
        case .sizeOnly(let reason):
            return "unverified (--allow-unverified): \(reason)"
        case .inventory, .treeHash:
            guard let usage else { return "none" }
            if shape.verification == .treeHash, usage.wholeOutputCheck == nil, usage.cachedLeaves == usage.leafCount,
                usage.leafCount > 0, shape.expectedTreeHash == nil
            {
                return "complete (\(usage.leafCount) leaves verified; the service gave no root to compare)"
            }
            return usage.verificationSummary
        }
    }

    /// `user.mime_type`: told from an archive's first bytes, else what the service said.
    func mediaType(job: JobEntry, shape: JobOutputShape) async -> String {
        if !shape.isInventory, case .success(let reader) = reader(for: job, shape: shape), shape.size > 0,
            case .success(let first) = await reader.leaf(0),
            let sniffed = withExtendedLifetime(first.node, { ContentSniffer.mediaType(first.bytes) })
        {
            return sniffed
        }
        return await responseHeaderValue(job: job, shape: shape) { $0.contentType }
            ?? (shape.isInventory ? "application/json" : "application/octet-stream")
    }

    /// A value only GetJobOutput's headers carry: read from the cache entry, fetching the first
    /// leaf (which is verified and cached like any read) when it is not known yet.
    private func responseHeaderValue(
        job: JobEntry, shape: JobOutputShape,
        _ field: @Sendable (OutputDescriptor) -> String?
    ) async -> String? {
        guard case .success(let reader) = reader(for: job, shape: shape) else { return nil }
        let key = catalog.outputKey(vault: job.vault, jobId: job.job.jobId)
        func known() -> String? { cache.existingEntry(for: key).flatMap { field($0.descriptor) } }
        if let value = known() { return value }
        guard reader.refusal() == nil, shape.size > 0, !reader.store.hasLeaf(0) else { return nil }
        _ = await reader.leaf(0)
        return known()
    }

    static var statusEncoder: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return e
    }
}
