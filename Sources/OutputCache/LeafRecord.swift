import GlacierIntegrity

/// What the cache knows about one stored leaf: its SHA-256 (as verified against the service) and a
/// CRC-32C per 64 KiB block of those verified bytes. Reads back check the CRCs (a small read only
/// those of the blocks it touches); the SHA-256 makes the output's root, checks a slot written
/// without CRCs, and is what `glacierfs cache verify` audits against.
public struct LeafRecord: Sendable, Equatable {
    public static let blockSize = 64 * 1024

    public var digest: SHA256Digest
    public var length: Int
    /// Empty only in a slot written without them, which is then checked by its SHA-256.
    public var blockCRCs: [UInt32]

    public var hasBlockChecksums: Bool { !blockCRCs.isEmpty }

    public init(digest: SHA256Digest, length: Int, blockCRCs: [UInt32]) {
        self.digest = digest
        self.length = length
        self.blockCRCs = blockCRCs
    }

    /// Computes the block checksums of a verified leaf.
    public init(digest: SHA256Digest, verifiedBytes bytes: UnsafeRawBufferPointer) {
        self.init(
            digest: digest, length: bytes.count, blockCRCs: CRC32C.blockChecksums(bytes, blockSize: Self.blockSize))
    }

    /// Whether `bytes` still hash to the leaf's SHA-256.
    public func hashMatches(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count == length && SHA256.hash(bytes) == digest
    }

    /// The check of a leaf read back whole: its block CRCs, or its SHA-256 in a record without
    /// them.
    public func readBackMatches(_ bytes: UnsafeRawBufferPointer) -> Bool {
        hasBlockChecksums ? blocksMatch(bytes) : hashMatches(bytes)
    }

    /// Whether `bytes` still match every block CRC (true for a record without them).
    public func blocksMatch(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count == length
            && (!hasBlockChecksums || CRC32C.blockChecksums(bytes, blockSize: Self.blockSize) == blockCRCs)
    }

    static func blockCount(forLength length: Int) -> Int { (length + blockSize - 1) / blockSize }
}
