import GlacierIntegrity

/// What the cache knows about one stored leaf: its SHA-256 (as verified against the service) and
/// a CRC-32C per 64 KiB block, so a small read can be checked without hashing the whole leaf.
public struct LeafRecord: Sendable, Equatable {
    public static let blockSize = 64 * 1024
    public static let blocksPerLeaf = TreeHash.leafSize / blockSize

    public var digest: SHA256Digest
    public var length: Int
    public var blockCRCs: [UInt32]

    public init(digest: SHA256Digest, length: Int, blockCRCs: [UInt32]) {
        self.digest = digest
        self.length = length
        self.blockCRCs = blockCRCs
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
