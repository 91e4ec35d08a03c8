import GlacierIntegrity
import GlacierModel
import NIOHTTP1

/// UploadArchive and DeleteArchive.
enum ArchiveOperations {
    static func upload(_ c: OperationContext, vault: String) async throws -> HTTPResponse {
        _ = try c.store.withState { s throws(ServiceError) in try c.requireVault(vault, in: s) }
        let description = try c.archiveDescriptionHeader() ?? ""
        let expected = try c.treeHashHeader()
        let spool = try await receive(c)
        do {
            let body = try await spool.finish()
            if let declared = c.request.contentLength, declared != body.size {
                throw ServiceError.invalidParameter("The body ended after \(body.size) of \(declared) bytes.")
            }
            try c.checkPayload(body.contentSHA256)
            try checkTreeHash(expected: expected, computed: body.treeHash)
            let record = ArchiveRecord(
                id: Identifiers.archiveId(), description: description, size: body.size,
                treeHash: body.treeHash.hex, creationDate: c.store.now)
            try await ArchiveCommitter.commit(
                store: c.store, vault: vault, record: record, dataFile: body.path,
                leaves: body.leaves)
            return created(c, vault: vault, archiveId: record.id, treeHash: body.treeHash)
        } catch {
            await spool.discard()
            throw error
        }
    }

    /// Streams the request body into a spool (sending `100 Continue` first when asked).
    static func receive(_ c: OperationContext) async throws -> BodySpool {
        if let declared = c.request.header(GlacierProtocol.Header.contentSHA256), SHA256Digest(hex: declared) == nil {
            throw ServiceError.invalidParameter("x-amz-content-sha256 must be 64 hexadecimal characters.")
        }
        try await c.beginBody()
        let spool = try await BodySpool.create(io: c.store.io, tmpDir: c.store.layout.tmp)
        do {
            while let chunk = try await c.stream.next() { try await spool.append(chunk) }
        } catch {
            await spool.discard()
            throw error
        }
        return spool
    }

    static func checkTreeHash(expected: SHA256Digest, computed: SHA256Digest) throws(ServiceError) {
        guard expected == computed else {
            throw .invalidParameter(
                "The value passed in x-amz-sha256-tree-hash (\(expected.hex)) does not match "
                    + "the tree hash computed from the request body (\(computed.hex)).")
        }
    }

    static func created(
        _ c: OperationContext, vault: String, archiveId: String, treeHash: SHA256Digest
    )
        -> HTTPResponse
    {
        var headers = HTTPHeaders()
        headers.add(name: "Location", value: c.location("\(vault)/archives/\(archiveId)"))
        headers.add(name: GlacierProtocol.Header.archiveId, value: archiveId)
        headers.add(name: GlacierProtocol.Header.treeHash, value: treeHash.hex)
        return HTTPResponse(status: .created, headers: headers)
    }

    /// Marks the archive deleted; its data stays while succeeded jobs still serve it.
    static func delete(_ c: OperationContext, vault: String, archiveId: String) async throws -> HTTPResponse {
        let now = c.store.now
        var record = try c.store.withState { s throws(ServiceError) -> ArchiveRecord in
            let v = try c.requireVault(vault, in: s)
            guard let a = v.archives[archiveId], a.record.deletedAt == nil else {
                throw .notFound("Archive not found: \(archiveId)")
            }
            return a.record
        }
        record.deletedAt = now
        try await c.store.writeJSON(record, to: c.store.layout.archiveMeta(vault, archiveId))
        c.store.withState { s in s.vaults[vault]?.archives[archiveId]?.record.deletedAt = now }
        await c.store.collectGarbage()
        return HTTPResponse(status: .noContent)
    }
}
