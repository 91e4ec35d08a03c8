import GlacierIntegrity
import Testing

/// The four-streams-at-once block checksums against one block at a time, and the hardware CRC
/// against the bitwise definition, so a fast path can never drift from the slow one.
@Suite struct CRC32CPropertyTests {
    /// CRC-32C bit by bit, straight from the polynomial (reflected 0x82F63B78).
    static func reference(_ bytes: some Collection<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0 ..< 8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return ~crc
    }

    @Test func knownValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    }

    @Test func hardwareCRCMatchesTheDefinition() {
        fuzz("CRC32C definition", iterations: FuzzConfig.iterations(cost: 4)) { r, run in
            let bytes = r.bytes(r.int(0 ... 2000))
            let skip = r.int(0 ... min(7, bytes.count))  // unaligned starts take the byte-wise head
            let got = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[skip...])) }
            run.expect(got == Self.reference(bytes[skip...]), "\(bytes.count) bytes from \(skip)")
        }
    }

    @Test func blockChecksumsMatchOneBlockAtATime() {
        fuzz("CRC32C blocks", iterations: FuzzConfig.iterations(cost: 20)) { r, run in
            let block = r.pick([8, 16, 64, 4096, 65536, r.int(1 ... 300)])
            let length = r.pick([
                0, 1, block - 1, block, block + 1, 4 * block, 4 * block + 7, 9 * block - 1, r.int(0 ... 20 * block),
            ])
            guard length >= 0, length <= 1 << 20 else { return run.reject() }
            let bytes = r.bytes(length)
            let got = bytes.withUnsafeBytes { CRC32C.blockChecksums($0, blockSize: block) }
            let want = bytes.withUnsafeBytes { all in
                stride(from: 0, to: length, by: block).map {
                    CRC32C.checksum(UnsafeRawBufferPointer(rebasing: all[$0 ..< min(length, $0 + block)]))
                }
            }
            run.expect(got == want, "block \(block), length \(length): \(got.prefix(6)) vs \(want.prefix(6))")
        }
    }
}
