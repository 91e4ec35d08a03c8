import Foundation
import GlacierIntegrity
import GlacierModel

/// CompleteMultipartUpload: checks that the parts cover the archive exactly and that their leaves
/// give the declared tree hash, then concatenates them into a new archive.
extension MultipartOperations {
    static func complete(_ c: OperationContext, vault: String, uploadId: String) async throws -> HTTPResponse {
        let sizeText = try c.requiredHeader(GlacierProtocol.Header.archiveSize)
        guard let archiveSize = Int64(sizeText), archiveSize > 0 else {
            throw ServiceError.invalidParameter("Invalid \(GlacierProtocol.Header.archiveSize) '\(sizeText)'.")
        }
        let expected = try c.treeHashHeader()
        let upload = try c.store.withState { s throws(ServiceError) -> StoredUpload in
            let upload = try requireUpload(c, vault: vault, uploadId: uploadId, in: s)
            guard !upload.completing else {
                throw .invalidParameter("The multipart upload \(uploadId) is already being completed.")
            }
            s.vaults[vault]!.uploads[uploadId]!.completing = true
            return upload
        }
        do {
            let parts = try orderedParts(upload, archiveSize: archiveSize)
            let leaves = parts.flatMap(\.leaves)
            let computed = TreeHash.root(of: leaves)
            guard computed == expected else {
                throw ServiceError.invalidParameter(
                    "The value passed in x-amz-sha256-tree-hash (\(expected.hex)) "
                        + "does not match the tree hash of the uploaded parts "
                        + "(\(computed.hex)).")
            }
            let dataFile = try await assemble(c, vault: vault, uploadId: uploadId, parts: parts.map(\.record))
            let record = ArchiveRecord(
                id: Identifiers.archiveId(), description: upload.record.description ?? "",
                size: archiveSize, treeHash: computed.hex, creationDate: c.store.now)
            do {
                try await ArchiveCommitter.commit(
                    store: c.store, vault: vault, record: record, dataFile: dataFile,
                    leaves: leaves)
            } catch {
                _ = try? await c.store.io.run { unlink(dataFile) }
                throw error
            }
            c.store.withState { s in s.vaults[vault]?.uploads[uploadId] = nil }
            await c.store.removeTree(c.store.layout.upload(vault, uploadId))
            return ArchiveOperations.created(c, vault: vault, archiveId: record.id, treeHash: computed)
        } catch {
            c.store.withState { s in s.vaults[vault]?.uploads[uploadId]?.completing = false }
            throw error
        }
    }

    /// The parts in order, refusing gaps, short parts before the last, and a size mismatch.
    private static func orderedParts(_ upload: StoredUpload, archiveSize: Int64) throws(ServiceError) -> [StoredPart] {
        let partSize = upload.record.partSize
        let parts = upload.parts.values.sorted { $0.record.start < $1.record.start }
        guard !parts.isEmpty else { throw .invalidParameter("The multipart upload has no parts.") }
        var next: Int64 = 0
        for (i, part) in parts.enumerated() {
            let r = part.record
            guard r.start == next else {
                throw .invalidParameter(
                    "Part missing: no part covers bytes from \(next) (the next part starts at "
                        + "\(r.start)).")
            }
            if i < parts.count - 1 && r.length != partSize {
                throw .invalidParameter(
                    "The part at \(r.start) is \(r.length) bytes; only the last part may be "
                        + "shorter than the part size \(partSize).")
            }
            next = r.start + r.length
        }
        guard next == archiveSize else {
            throw .invalidParameter(
                "The parts hold \(next) bytes but \(GlacierProtocol.Header.archiveSize) says "
                    + "\(archiveSize).")
        }
        return parts
    }

    /// Concatenates the part files into one fsynced temp file (in the kernel, no copies in memory).
    private static func assemble(
        _ c: OperationContext, vault: String, uploadId: String, parts: [PartRecord]
    )
        async throws -> String
    {
        let layout = c.store.layout
        return try await c.store.io.run {
            let (fd, path) = try FileOps.makeTempFile(in: layout.tmp)
            do {
                for part in parts {
                    let source = try FileOps.openForReading(layout.partData(vault, uploadId, part.start))
                    defer { close(source) }
                    try FileOps.copy(
                        from: source, to: fd, count: part.length, destinationOffset: part.start,
                        path: path)
                }
                try FileOps.fsyncOrThrow(fd, path)
                close(fd)
                return path
            } catch {
                close(fd)
                unlink(path)
                throw error
            }
        }
    }
}
