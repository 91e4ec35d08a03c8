import GlacierIntegrity

/// What the cache knows about one stored leaf: its SHA-256 (as verified against the service) and,
/// once the leaf has been read at random, a CRC-32C per 64 KiB block, so a small read can be
/// checked without hashing the whole leaf. Sequential reads never need the CRCs, so they are not
/// computed for them.
public struct LeafRecord: Sendable, Equatable {
    public static let blockSize = 64 * 1024
    public static let blocksPerLeaf = TreeHash.leafSize / blockSize

    public var digest: SHA256Digest
    public var length: Int
    /// Empty until computed.
    public var blockCRCs: [UInt32]

    public var hasBlockChecksums: Bool { !blockCRCs.isEmpty }

    public init(digest: SHA256Digest, length: Int, blockCRCs: [UInt32]) {
        self.digest = digest
        self.length = length
        self.blockCRCs = blockCRCs
    }

    /// A record of a verified leaf, with or without its block checksums.
    public init(digest: SHA256Digest, verifiedBytes bytes: UnsafeRawBufferPointer, withBlockChecksums: Bool) {
        if withBlockChecksums {
            self.init(digest: digest, verifiedBytes: bytes)
        } else {
            self.init(digest: digest, length: bytes.count, blockCRCs: [])
        }
    }

    /// Computes the block checksums of a verified leaf.
    public init(digest: SHA256Digest, verifiedBytes bytes: UnsafeRawBufferPointer) {
        var crcs: [UInt32] = []
        crcs.reserveCapacity(Self.blocksPerLeaf)
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + Self.blockSize, bytes.count)
            crcs.append(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[offset..<end])))
            offset = end
        }
        self.init(digest: digest, length: bytes.count, blockCRCs: crcs)
    }

    static func blockCount(forLength length: Int) -> Int { (length + blockSize - 1) / blockSize }
}
