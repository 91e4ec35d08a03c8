import GlacierIntegrity
import GlacierModel
import HTTPTransport

/// How a job-output range is checked before its bytes are handed over.
public enum OutputVerification: Sendable, Equatable {
    /// Archive output over a tree node: the response must carry `x-amz-sha256-tree-hash`, and the
    /// bytes must hash to it. A missing checksum is a failure, not a pass.
    case treeHash
    /// Status, Content-Range and length only: for inventories (which never carry a checksum) and
    /// for unaligned retrievals the user explicitly accepted unverified.
    case sizeOnly
}

/// A range of job output that passed its checks and now sits in the caller's buffer.
public struct VerifiedOutputRange: Sendable {
    public let range: Range<Int64>
    /// The output's total size as Content-Range stated it, if it did.
    public let totalSize: Int64?
    /// The digests of the 1 MiB leaves in the buffer (computed while verifying a tree hash).
    public let leafDigests: [SHA256Digest]
    /// The checksum the service sent, when it sent one.
    public let serviceTreeHash: SHA256Digest?
    public let contentType: String?
    public let archiveDescription: String?
    /// Seconds to the response's first byte and to its end, as the transport measured them.
    public let firstByteSeconds: Double?
    public let totalSeconds: Double?

    public init(
        range: Range<Int64>, totalSize: Int64?, leafDigests: [SHA256Digest], serviceTreeHash: SHA256Digest?,
        contentType: String?, archiveDescription: String?, firstByteSeconds: Double? = nil,
        totalSeconds: Double? = nil
    ) {
        self.range = range
        self.totalSize = totalSize
        self.leafDigests = leafDigests
        self.serviceTreeHash = serviceTreeHash
        self.contentType = contentType
        self.archiveDescription = archiveDescription
        self.firstByteSeconds = firstByteSeconds
        self.totalSeconds = totalSeconds
    }
}

extension GlacierClient {
    /// Downloads `range` of a job's output into `buffer` (which must hold exactly `range.count`
    /// bytes) and checks it. A response that fails any check is retried and its bytes are never
    /// returned; when the retries run out the last failure is thrown.
    ///
    /// - Parameters:
    ///   - outputSize: the output's size from DescribeJob, to check Content-Range against.
    ///   - verification: `.treeHash` requires `range` to be tree-hash aligned within the output.
    public func getJobOutput(
        vault: String, jobId: String, range: Range<Int64>, outputSize: Int64,
        verification: OutputVerification, into buffer: UnsafeMutableRawBufferPointer,
        retry: RetryPolicy? = nil
    ) async throws(GlacierError) -> VerifiedOutputRange {
        guard buffer.count == Int(range.upperBound - range.lowerBound) else {
            throw .invalidConfiguration("a buffer of \(buffer.count) bytes cannot hold the range \(range)")
        }
        // One contiguous buffer is a list of leaf-sized slices of it (when the range starts on a leaf;
        // otherwise it stays whole, which only size checks accept).
        var leaves: [UnsafeMutableRawBufferPointer] = range.lowerBound % Int64(TreeHash.leafSize) == 0 ? [] : [buffer]
        var offset = leaves.isEmpty ? 0 : buffer.count
        while offset < buffer.count {
            let end = min(offset + TreeHash.leafSize, buffer.count)
            leaves.append(UnsafeMutableRawBufferPointer(rebasing: buffer[offset ..< end]))
            offset = end
        }
        return try await getJobOutput(
            vault: vault, jobId: jobId, range: range, outputSize: outputSize,
            verification: verification, intoLeaves: leaves, retry: retry)
    }

    /// The same, with the body written into one buffer per 1 MiB leaf of `range` (the last may be
    /// shorter), so callers can keep leaves in separate, uniformly sized memory.
    public func getJobOutput(
        vault: String, jobId: String, range: Range<Int64>, outputSize: Int64,
        verification: OutputVerification, intoLeaves leaves: [UnsafeMutableRawBufferPointer],
        retry: RetryPolicy? = nil
    ) async throws(GlacierError) -> VerifiedOutputRange {
        try await getJobOutput(
            vault: vault, jobId: jobId, range: range, geometry: TreeGeometry(size: outputSize),
            verification: verification, intoLeaves: leaves, retry: retry)
    }

    /// The same, with the output's tree built once by the caller rather than on every request.
    public func getJobOutput(
        vault: String, jobId: String, range: Range<Int64>, geometry: TreeGeometry,
        verification: OutputVerification, intoLeaves leaves: [UnsafeMutableRawBufferPointer],
        retry: RetryPolicy? = nil
    ) async throws(GlacierError) -> VerifiedOutputRange {
        let outputSize = geometry.size
        let total = leaves.reduce(0) { $0 + $1.count }
        guard !range.isEmpty, range.lowerBound >= 0, range.upperBound <= outputSize,
            range.lowerBound % Int64(TreeHash.leafSize) == 0 || leaves.count == 1,
            total == Int(range.upperBound - range.lowerBound),
            leaves.dropLast().allSatisfy({ $0.count == TreeHash.leafSize })
        else {
            throw .invalidConfiguration(
                "job output range \(range) does not fit an output of \(outputSize) bytes "
                    + "and leaf buffers totalling \(total)")
        }
        if verification == .treeHash && !geometry.isTreeHashAligned(range) {
            throw .invalidConfiguration("range \(range) is not a tree node of the output, so it cannot be verified")
        }
        let (request, wanted, coversAll) = Self.outputRequest(
            vault: vault, jobId: jobId, range: range, outputSize: outputSize)
        return try await execute(request, into: .scatter(leaves), retry: retry) { response throws(GlacierError) in
            let total = try Self.checkRange(response, wanted: wanted, outputSize: outputSize, acceptWhole: coversAll)
            var digests: [SHA256Digest] = []
            let serviceHash = try Self.serviceTreeHash(response)
            if verification == .treeHash {
                guard let expected = serviceHash else { throw .integrity(.checksumMissing(range: wanted.description)) }
                digests = leaves.map { SHA256.hash(UnsafeRawBufferPointer($0)) }
                try Self.checkRoot(of: digests, expected: expected, range: wanted)
            }
            return Self.verified(response, range: range, totalSize: total, digests: digests, serviceHash: serviceHash)
        }
    }

    /// Streams `range` (a tree node of the output) to `spill`, leaf by leaf as it arrives, in
    /// buffers the spill lends, and checks the node's checksum once every leaf was hashed. Memory
    /// is what the spill lends, however large the node.
    ///
    /// One attempt, no retries: the spill has taken leaves that are only known good when this
    /// returns; on a throw the caller discards whatever it took. By then no job runs. The spill
    /// hears when the exchange is over (`LeafSpill.transferEnded`), before the last leaves are
    /// waited for, so its connection can serve another request meanwhile.
    public func streamJobOutput(
        vault: String, jobId: String, range: Range<Int64>, geometry: TreeGeometry, to spill: any LeafSpill
    ) async throws(GlacierError) -> VerifiedOutputRange {
        guard !range.isEmpty, range.upperBound <= geometry.size, geometry.isTreeHashAligned(range) else {
            throw .invalidConfiguration("range \(range) is not a tree node of an output of \(geometry.size) bytes")
        }
        let (request, wanted, coversAll) = Self.outputRequest(
            vault: vault, jobId: jobId, range: range, outputSize: geometry.size)
        let receiver = LeafStreamReceiver(leaves: geometry.leaves(covering: range), geometry: geometry, spill: spill)
        let result: Result<HTTPResponse, GlacierError>
        do {
            result = .success(
                try await execute(request, into: .stream(receiver), retry: RetryPolicy(maxAttempts: 1)) { $0 })
        } catch {
            result = .failure(error)
        }
        spill.transferEnded()
        // Every spill job ends before the buffers can go back to the caller.
        let outcome = await receiver.drain()
        let response = try result.get()
        let total = try Self.checkRange(response, wanted: wanted, outputSize: geometry.size, acceptWhole: coversAll)
        guard let expected = try Self.serviceTreeHash(response) else {
            throw .integrity(.checksumMissing(range: wanted.description))
        }
        if let leaf = outcome.unkept {
            throw .invalidConfiguration("leaf \(leaf) of job \(jobId)'s output arrived but could not be kept")
        }
        let digests = outcome.digests.compactMap { $0 }
        guard digests.count == outcome.digests.count else {
            throw .integrity(.lengthMismatch(expected: wanted.length, got: Int64(response.bodyLength)))
        }
        try Self.checkRoot(of: digests, expected: expected, range: wanted)
        return Self.verified(response, range: range, totalSize: total, digests: digests, serviceHash: expected)
    }

    /// The GetJobOutput request for `range`: the whole output is asked for without a Range, as
    /// the API's "whole output" form.
    static func outputRequest(
        vault: String, jobId: String, range: Range<Int64>, outputSize: Int64
    ) -> (GlacierRequest, InclusiveByteRange, coversAll: Bool) {
        let wanted = InclusiveByteRange(first: range.lowerBound, last: range.upperBound - 1)!
        var request = GlacierRequest(
            operation: "GetJobOutput", method: "GET",
            pathSegments: ["vaults", vault, "jobs", jobId, "output"])
        let coversAll = range.lowerBound == 0 && range.upperBound == outputSize
        if !coversAll { request.headers.add("Range", "bytes=\(wanted)") }
        return (request, wanted, coversAll)
    }

    /// The checksum the service sent for the body, if it sent one.
    static func serviceTreeHash(_ response: HTTPResponse) throws(GlacierError) -> SHA256Digest? {
        guard let header = response.headers[GlacierProtocol.Header.treeHash] else { return nil }
        guard let parsed = SHA256Digest(hex: header) else { throw .integrity(.checksumMalformed(header)) }
        return parsed
    }

    static func checkRoot(
        of digests: [SHA256Digest], expected: SHA256Digest, range: InclusiveByteRange
    )
        throws(GlacierError)
    {
        let computed = TreeHash.root(of: digests)
        guard computed == expected else {
            throw .integrity(
                .checksumMismatch(range: range.description, expected: expected.hex, computed: computed.hex))
        }
    }

    static func verified(
        _ response: HTTPResponse, range: Range<Int64>, totalSize: Int64?, digests: [SHA256Digest],
        serviceHash: SHA256Digest?
    ) -> VerifiedOutputRange {
        VerifiedOutputRange(
            range: range, totalSize: totalSize, leafDigests: digests, serviceTreeHash: serviceHash,
            contentType: response.headers["Content-Type"],
            archiveDescription: response.headers[GlacierProtocol.Header.archiveDescription],
            firstByteSeconds: response.firstByteSeconds, totalSeconds: response.totalSeconds)
    }

    /// The status, Content-Range and length of a ranged response must describe exactly the
    /// bytes asked for, or the body could be something else (an error page, a different range).
    /// Returns the output's total size when the Content-Range gives it.
    @discardableResult
    static func checkRange(
        _ response: HTTPResponse, wanted: InclusiveByteRange, outputSize: Int64,
        acceptWhole: Bool
    ) throws(GlacierError) -> Int64? {
        guard response.status == 206 || (response.status == 200 && acceptWhole) else {
            throw .integrity(.unexpectedStatus(response.status))
        }
        // The whole output may come without a Content-Range; one that is sent must be right.
        let header = response.headers["Content-Range"]
        var parsed: ContentRange?
        if response.status == 206 || header != nil {
            parsed = header.flatMap { ContentRange(header: $0) }
            guard let parsed, parsed.range == wanted, parsed.total == nil || parsed.total == outputSize else {
                throw .integrity(
                    .contentRangeMismatch(
                        expected: ContentRange(range: wanted, total: outputSize).header,
                        got: header))
            }
        }
        guard Int64(response.bodyLength) == wanted.length else {
            throw .integrity(.lengthMismatch(expected: wanted.length, got: Int64(response.bodyLength)))
        }
        if let lengthHeader = response.headers["Content-Length"],
            !lengthHeader.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) || Int64(lengthHeader) != wanted.length
        {
            throw .integrity(.lengthMismatch(expected: wanted.length, got: Int64(lengthHeader) ?? -1))
        }
        return parsed?.total
    }

    /// The whole output in memory, for small outputs such as inventories and job listings a CLI
    /// prints. Checked like a ranged read.
    public func getWholeJobOutput(
        vault: String, jobId: String, outputSize: Int64, verification: OutputVerification,
        limit: Int = 256 << 20
    ) async throws(GlacierError) -> (bytes: [UInt8], checked: VerifiedOutputRange) {
        guard outputSize >= 0, outputSize <= limit else {
            throw .invalidConfiguration(
                "the output is \(outputSize) bytes, more than the \(limit) bytes this call reads into memory")
        }
        if outputSize == 0 {
            return (
                [],
                VerifiedOutputRange(
                    range: 0 ..< 0, totalSize: 0, leafDigests: [], serviceTreeHash: nil,
                    contentType: nil, archiveDescription: nil)
            )
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(outputSize), alignment: 16)
        defer { buffer.deallocate() }
        let checked = try await getJobOutput(
            vault: vault, jobId: jobId, range: 0 ..< outputSize, outputSize: outputSize,
            verification: verification, into: buffer)
        return (Array(buffer), checked)
    }
}
