import Foundation
import GlacierIntegrity
import GlacierModel

/// The result of storing an archive.
public struct UploadedArchive: Sendable, Equatable {
    public var archiveId: String
    public var treeHash: String
    public var size: Int64
}

extension GlacierClient {
    /// Stores a file as an archive: in one request up to `singlePartLimit`, else as a multipart
    /// upload with `partSize` parts, `parallelParts` at a time. Glacier takes no new customers,
    /// so this exists to seed the emulator for demos, tests and benchmarks.
    public func uploadArchive(
        vault: String, file path: String, description: String? = nil,
        singlePartLimit: Int64 = 64 << 20, partSize: Int64 = 64 << 20,
        parallelParts: Int = 4
    ) async throws(GlacierError) -> UploadedArchive {
        let size: Int64
        do {
            size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
        } catch {
            throw .invalidConfiguration("cannot read \(path): \(error.localizedDescription)")
        }
        if size <= singlePartLimit {
            let hashes = try Self.hashFile(path, range: 0 ..< size)
            var request = GlacierRequest(
                operation: "UploadArchive", method: "POST", pathSegments: ["vaults", vault, "archives"],
                body: .fileRegion(path: path, offset: 0, length: size), bodySHA256: hashes.sha256)
            request.headers.add(GlacierProtocol.Header.treeHash, hashes.treeHash.hex)
            // An empty description is no header at all (libcurl drops an empty header the signature names).
            if let description, !description.isEmpty {
                request.headers.add(GlacierProtocol.Header.archiveDescription, description)
            }
            request.headers.add("Content-Type", "application/octet-stream")
            return try await execute(request, timeout: nil) { r throws(GlacierError) in
                guard let id = r.headers[GlacierProtocol.Header.archiveId] else {
                    throw .malformedResponse("UploadArchive answered without x-amz-archive-id")
                }
                return UploadedArchive(archiveId: id, treeHash: hashes.treeHash.hex, size: size)
            }
        }
        return try await uploadMultipart(
            vault: vault, file: path, size: size, description: description,
            partSize: partSize, parallelParts: parallelParts)
    }

    public func deleteArchive(vault: String, archiveId: String) async throws(GlacierError) {
        let request = GlacierRequest(
            operation: "DeleteArchive", method: "DELETE",
            pathSegments: ["vaults", vault, "archives", archiveId])
        try await execute(request, timeout: configuration.operationTimeoutSeconds) { _ in () }
    }

    private func uploadMultipart(
        vault: String, file path: String, size: Int64, description: String?,
        partSize: Int64, parallelParts: Int
    ) async throws(GlacierError) -> UploadedArchive {
        var initiate = GlacierRequest(
            operation: "InitiateMultipartUpload", method: "POST",
            pathSegments: ["vaults", vault, "multipart-uploads"])
        initiate.headers.add(GlacierProtocol.Header.partSize, String(partSize))
        if let description, !description.isEmpty {
            initiate.headers.add(GlacierProtocol.Header.archiveDescription, description)
        }
        let uploadId = try await execute(initiate, timeout: configuration.operationTimeoutSeconds) {
            r throws(GlacierError) in
            guard let id = r.headers[GlacierProtocol.Header.uploadId] else {
                throw .malformedResponse("InitiateMultipartUpload answered without x-amz-multipart-upload-id")
            }
            return id
        }
        let starts = Array(stride(from: Int64(0), to: size, by: Int(partSize)))
        var leafDigests = [[SHA256Digest]](repeating: [], count: starts.count)
        let result: Result<Void, GlacierError> = await withTaskGroup(
            of: (Int, Result<[SHA256Digest], GlacierError>).self
        ) { group in
            var next = 0
            func addPart(_ index: Int) {
                let start = starts[index]
                let end = min(start + partSize, size)
                group.addTask {
                    // A plain do/catch: a typed-throws `do` in this closure miscompiles in release builds
                    // (Swift 6.3), trapping with a garbage index.
                    let outcome: Result<[SHA256Digest], GlacierError>
                    do {
                        outcome = .success(
                            try await self.uploadPart(
                                vault: vault, uploadId: uploadId, file: path,
                                range: start ..< end))
                    } catch let error as GlacierError {
                        outcome = .failure(error)
                    } catch {
                        outcome = .failure(.transport(.cancelled))
                    }
                    return (index, outcome)
                }
            }
            while next < min(parallelParts, starts.count) {
                addPart(next)
                next += 1
            }
            for await (index, outcome) in group {
                switch outcome {
                case .success(let digests): leafDigests[index] = digests
                case .failure(let error):
                    group.cancelAll()
                    return .failure(error)
                }
                if next < starts.count {
                    addPart(next)
                    next += 1
                }
            }
            return .success(())
        }
        if case .failure(let error) = result {
            let abort = GlacierRequest(
                operation: "AbortMultipartUpload", method: "DELETE",
                pathSegments: ["vaults", vault, "multipart-uploads", uploadId])
            _ = try? await execute(abort, timeout: configuration.operationTimeoutSeconds) { _ in () }
            throw error
        }
        let treeHash = TreeHash.root(of: leafDigests.flatMap { $0 })
        var complete = GlacierRequest(
            operation: "CompleteMultipartUpload", method: "POST",
            pathSegments: ["vaults", vault, "multipart-uploads", uploadId])
        complete.headers.add(GlacierProtocol.Header.archiveSize, String(size))
        complete.headers.add(GlacierProtocol.Header.treeHash, treeHash.hex)
        return try await execute(complete, timeout: configuration.operationTimeoutSeconds) { r throws(GlacierError) in
            guard let id = r.headers[GlacierProtocol.Header.archiveId] else {
                throw .malformedResponse("CompleteMultipartUpload answered without x-amz-archive-id")
            }
            return UploadedArchive(archiveId: id, treeHash: treeHash.hex, size: size)
        }
    }

    private func uploadPart(
        vault: String, uploadId: String, file path: String, range: Range<Int64>
    )
        async throws(GlacierError) -> [SHA256Digest]
    {
        let hashes = try Self.hashFile(path, range: range)
        var request = GlacierRequest(
            operation: "UploadMultipartPart", method: "PUT",
            pathSegments: ["vaults", vault, "multipart-uploads", uploadId],
            body: .fileRegion(path: path, offset: range.lowerBound, length: Int64(range.count)),
            bodySHA256: hashes.sha256)
        request.headers.add("Content-Range", "bytes \(range.lowerBound)-\(range.upperBound - 1)/*")
        request.headers.add(GlacierProtocol.Header.treeHash, hashes.treeHash.hex)
        request.headers.add("Content-Type", "application/octet-stream")
        try await execute(request, timeout: nil) { _ in () }
        return hashes.leaves
    }

    /// The linear SHA-256 and the tree hash of a file region, read once.
    static func hashFile(
        _ path: String, range: Range<Int64>
    ) throws(GlacierError) -> (sha256: String, treeHash: SHA256Digest, leaves: [SHA256Digest]) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw .invalidConfiguration("cannot open \(path)")
        }
        defer { try? handle.close() }
        let linear = SHA256Hasher()
        let tree = TreeHashBuilder()
        var offset = range.lowerBound
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        while offset < range.upperBound {
            let want = Int(min(Int64(chunk), range.upperBound - offset))
            let got = pread(handle.fileDescriptor, buffer.baseAddress, want, off_t(offset))
            guard got > 0 else { throw .invalidConfiguration("\(path) could not be read at offset \(offset)") }
            let piece = UnsafeRawBufferPointer(rebasing: buffer[..<got])
            linear.update(piece)
            tree.update(piece)
            offset += Int64(got)
        }
        let root = tree.finalize()
        return (linear.finalize().hex, root, tree.leafDigests)
    }
}
