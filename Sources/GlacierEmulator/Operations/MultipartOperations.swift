import Foundation
import GlacierIntegrity
import GlacierModel
import NIOHTTP1

/// InitiateMultipartUpload, UploadMultipartPart, CompleteMultipartUpload, AbortMultipartUpload,
/// ListParts and ListMultipartUploads.
enum MultipartOperations {
    static let mebibyte: Int64 = 1 << 20
    static let maxPartSize: Int64 = 4 << 30

    static func initiate(_ c: OperationContext, vault: String) async throws -> HTTPResponse {
        _ = try c.store.withState { s throws(ServiceError) in try c.requireVault(vault, in: s) }
        let text = try c.requiredHeader(GlacierProtocol.Header.partSize)
        guard let partSize = Int64(text), isValidPartSize(partSize) else {
            throw ServiceError.invalidParameter(
                "Invalid part size '\(text)': it must be 1 MiB (1048576) times a "
                    + "power of two, at most 4 GiB.")
        }
        let record = UploadRecord(
            id: Identifiers.uploadId(), description: try c.archiveDescriptionHeader(),
            partSize: partSize, creationDate: c.store.now)
        let layout = c.store.layout
        try await c.store.createDirectory(layout.parts(vault, record.id))
        try await c.store.writeJSON(record, to: layout.uploadMeta(vault, record.id))
        try c.store.withState { s throws(ServiceError) in
            guard s.vaults[vault] != nil else { throw c.service.vaultNotFound(vault) }
            s.vaults[vault]!.uploads[record.id] = StoredUpload(record: record)
        }
        var headers = HTTPHeaders()
        headers.add(name: "Location", value: c.location("\(vault)/multipart-uploads/\(record.id)"))
        headers.add(name: GlacierProtocol.Header.uploadId, value: record.id)
        return HTTPResponse(status: .created, headers: headers)
    }

    static func isValidPartSize(_ size: Int64) -> Bool {
        guard size >= mebibyte, size <= maxPartSize, size % mebibyte == 0 else { return false }
        let units = size / mebibyte
        return units & (units - 1) == 0
    }

    static func requireUpload(
        _ c: OperationContext, vault: String, uploadId: String, in s: StoreState
    )
        throws(ServiceError) -> StoredUpload
    {
        let v = try c.requireVault(vault, in: s)
        guard let upload = v.uploads[uploadId] else {
            throw .notFound("The multipart upload ID was not found: \(uploadId)")
        }
        return upload
    }

    static func uploadPart(_ c: OperationContext, vault: String, uploadId: String) async throws -> HTTPResponse {
        let upload = try c.store.withState { s throws(ServiceError) in
            try requireUpload(c, vault: vault, uploadId: uploadId, in: s)
        }
        let rangeText = try c.requiredHeader("Content-Range")
        guard let range = ContentRange(header: rangeText)?.range else {
            throw ServiceError.invalidParameter("Invalid Content-Range '\(rangeText)': expected 'bytes S-E/*'.")
        }
        let partSize = upload.record.partSize
        guard range.first % partSize == 0 else {
            throw ServiceError.invalidParameter(
                "The part starting at \(range.first) is not aligned to the part "
                    + "size \(partSize).")
        }
        guard range.length <= partSize else {
            throw ServiceError.invalidParameter(
                "The part \(range) is \(range.length) bytes, more than the part "
                    + "size \(partSize).")
        }
        if let length = c.request.contentLength, length != range.length {
            throw ServiceError.invalidParameter("Content-Length \(length) does not match Content-Range \(range).")
        }
        let expected = try c.treeHashHeader()
        let spool = try await ArchiveOperations.receive(c)
        do {
            let body = try await spool.finish()
            guard body.size == range.length else {
                throw ServiceError.invalidParameter(
                    "The body is \(body.size) bytes but Content-Range \(range) "
                        + "says \(range.length).")
            }
            try c.checkPayload(body.contentSHA256)
            try ArchiveOperations.checkTreeHash(expected: expected, computed: body.treeHash)
            let part = PartRecord(start: range.first, length: range.length, treeHash: body.treeHash.hex)
            try await storePart(
                c, vault: vault, uploadId: uploadId, part: part, dataFile: body.path,
                leaves: body.leaves)
            var headers = HTTPHeaders()
            headers.add(name: GlacierProtocol.Header.treeHash, value: body.treeHash.hex)
            return HTTPResponse(status: .noContent, headers: headers)
        } catch {
            await spool.discard()
            throw error
        }
    }

    /// Data, leaves, then the part's JSON last; a re-sent part replaces the earlier one.
    private static func storePart(
        _ c: OperationContext, vault: String, uploadId: String, part: PartRecord,
        dataFile: String, leaves: [SHA256Digest]
    ) async throws {
        let layout = c.store.layout
        let meta = try WireJSON.encode(part)
        let leafBytes = LeafFile.encode(leaves)
        try await c.store.io.run {
            guard FileOps.exists(layout.parts(vault, uploadId)) else {
                throw ServiceError.notFound("The multipart upload ID was not found: \(uploadId)")
            }
            try FileOps.publish(
                data: dataFile, to: layout.partData(vault, uploadId, part.start), leaves: leafBytes,
                to: layout.partLeaves(vault, uploadId, part.start), meta: meta,
                to: layout.partMeta(vault, uploadId, part.start), tmpDir: layout.tmp)
        }
        try c.store.withState { s throws(ServiceError) in
            _ = try requireUpload(c, vault: vault, uploadId: uploadId, in: s)
            s.vaults[vault]!.uploads[uploadId]!.parts[part.start] = StoredPart(record: part, leaves: leaves)
        }
    }

    static func abort(_ c: OperationContext, vault: String, uploadId: String) async throws -> HTTPResponse {
        try c.store.withState { s throws(ServiceError) in
            _ = try requireUpload(c, vault: vault, uploadId: uploadId, in: s)
            s.vaults[vault]!.uploads[uploadId] = nil
        }
        await c.store.removeTree(c.store.layout.upload(vault, uploadId))
        return HTTPResponse(status: .noContent)
    }

    /// Parts sorted by start; the marker is the start offset of the next part.
    static func listParts(_ c: OperationContext, vault: String, uploadId: String) throws -> HTTPResponse {
        let limit = try Pagination.limit(c, default: 50, max: 1000)
        var from: Int64 = 0
        if let marker = Pagination.marker(c) {
            guard let n = Int64(marker), n >= 0 else {
                throw ServiceError.invalidParameter("Invalid marker '\(marker)'.")
            }
            from = n
        }
        let upload = try c.store.withState { s throws(ServiceError) in
            try requireUpload(c, vault: vault, uploadId: uploadId, in: s)
        }
        let parts = upload.parts.values.map(\.record).filter { $0.start >= from }.sorted { $0.start < $1.start }
        let page = parts.prefix(limit).map {
            PartListElement(rangeInBytes: "\($0.start)-\($0.start + $0.length - 1)", sha256TreeHash: $0.treeHash)
        }
        let r = upload.record
        return .json(
            ListPartsOutput(
                multipartUploadId: r.id, vaultARN: c.service.vaultARN(vault),
                archiveDescription: r.description, partSizeInBytes: r.partSize,
                creationDate: GlacierTimestamp.format(r.creationDate), parts: Array(page),
                marker: parts.count > limit ? String(parts[limit].start) : nil))
    }

    /// Uploads by creation time; the marker is the id of the first upload of the next page.
    static func listUploads(_ c: OperationContext, vault: String) throws -> HTTPResponse {
        let limit = try Pagination.limit(c, default: 50, max: 1000)
        let uploads = try c.store.withState { s throws(ServiceError) in
            try c.requireVault(vault, in: s).uploads.values.map(\.record)
        }.sorted { ($0.creationDate, $0.id) < ($1.creationDate, $1.id) }
        var start = 0
        if let marker = Pagination.marker(c) {
            guard let i = uploads.firstIndex(where: { $0.id == marker }) else {
                throw ServiceError.invalidParameter("Invalid marker '\(marker)': no such upload.")
            }
            start = i
        }
        let rest = uploads[start...]
        let page = rest.prefix(limit).map {
            UploadListElement(
                multipartUploadId: $0.id, vaultARN: c.service.vaultARN(vault),
                archiveDescription: $0.description, partSizeInBytes: $0.partSize,
                creationDate: GlacierTimestamp.format($0.creationDate))
        }
        let next = rest.count > limit ? rest[rest.startIndex + limit].id : nil
        return .json(ListMultipartUploadsOutput(uploadsList: Array(page), marker: next))
    }
}
