import Foundation
import GlacierIntegrity

/// The on-disk index of one output's cached leaves: a 128-byte header, then one 128-byte slot per
/// leaf. Each slot carries its own CRC, and is written only after the leaf's data, so a crash at
/// any instant leaves either a valid slot or one that reads as empty. A valid slot whose data did
/// not reach the disk fails its checks on read and is dropped: entries can be lost, never trusted
/// wrongly.
///
/// A slot outlives its leaf's data: eviction rewrites it as "digest only" before the data is
/// freed, so the root of an output larger than the cache can still be checked.
enum LeafIndexFile {
    static let headerSize = 128
    static let slotSize = 128
    static let magic: [UInt8] = Array("GLFSIDX1".utf8)
    static let slotMagic: UInt32 = 0x4641_454C  // "LEAF"
    static let version: UInt32 = 1

    static func slotOffset(_ leaf: Int) -> off_t { off_t(headerSize + leaf * slotSize) }

    static func header(outputSize: Int64, leafCount: Int) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: headerSize)
        b.replaceSubrange(0 ..< 8, with: magic)
        put32(&b, 8, version)
        put32(&b, 12, UInt32(TreeHash.leafSize))
        put64(&b, 16, UInt64(outputSize))
        put64(&b, 24, UInt64(leafCount))
        put32(&b, 32, UInt32(LeafRecord.blockSize))
        put32(&b, 36, UInt32(slotSize))
        put32(&b, headerSize - 4, CRC32C.checksum(Array(b[0 ..< (headerSize - 4)])))
        return b
    }

    static func headerIsValid(_ b: ArraySlice<UInt8>, outputSize: Int64, leafCount: Int) -> Bool {
        let h = Array(b)
        guard h.count == headerSize else { return false }
        return h == header(outputSize: outputSize, leafCount: leafCount)
    }

    /// What a valid slot says.
    enum Slot: Equatable {
        /// The leaf's verified bytes are in the data file.
        case cached(LeafRecord)
        /// The data was evicted; the digest it was verified with is kept for the root check.
        case digestOnly(SHA256Digest)
    }

    static func encode(_ record: LeafRecord, leaf: Int, dataEvicted: Bool = false) -> [UInt8] {
        precondition(record.blockCRCs.count <= 16, "a leaf has at most 16 blocks of 64 KiB")
        var b = [UInt8](repeating: 0, count: slotSize)
        put32(&b, 0, slotMagic)
        put32(&b, 4, UInt32(leaf))
        record.digest.withBytes { d in b.replaceSubrange(8 ..< 40, with: d) }
        for (i, crc) in record.blockCRCs.enumerated() { put32(&b, 40 + 4 * i, crc) }
        put32(&b, 104, UInt32(record.length))
        b[108] = record.hasBlockChecksums ? 1 : 0
        b[109] = dataEvicted ? 1 : 0
        put32(&b, slotSize - 4, CRC32C.checksum(Array(b[0 ..< (slotSize - 4)])))
        return b
    }

    /// Decodes a slot; nil when it is empty, torn, or describes another leaf.
    static func decode(_ slot: ArraySlice<UInt8>, leaf: Int, expectedLength: Int) -> Slot? {
        let b = Array(slot)
        guard b.count == slotSize, get32(b, 0) == slotMagic, get32(b, 4) == UInt32(leaf),
            get32(b, slotSize - 4) == CRC32C.checksum(Array(b[0 ..< (slotSize - 4)])),
            Int(get32(b, 104)) == expectedLength
        else { return nil }
        let digest = b[8 ..< 40].withUnsafeBytes { SHA256Digest(copying: $0) }
        let count = b[108] == 1 ? LeafRecord.blockCount(forLength: expectedLength) : 0
        if b[109] == 1 { return .digestOnly(digest) }
        let crcs = (0 ..< count).map { get32(b, 40 + 4 * $0) }
        return .cached(LeafRecord(digest: digest, length: expectedLength, blockCRCs: crcs))
    }

    static let emptySlot = [UInt8](repeating: 0, count: slotSize)

    private static func put32(_ b: inout [UInt8], _ at: Int, _ v: UInt32) {
        for i in 0 ..< 4 { b[at + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) }
    }

    private static func put64(_ b: inout [UInt8], _ at: Int, _ v: UInt64) {
        for i in 0 ..< 8 { b[at + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) }
    }

    private static func get32(_ b: [UInt8], _ at: Int) -> UInt32 {
        (0 ..< 4).reduce(UInt32(0)) { $0 | UInt32(b[at + $1]) << (8 * UInt32($1)) }
    }
}
