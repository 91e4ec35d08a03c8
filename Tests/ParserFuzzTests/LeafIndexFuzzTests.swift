import GlacierIntegrity
import Testing

@testable import OutputCache

/// The cache index's slots and header: a slot either decodes to exactly what was written or to
/// nil. A torn or decayed slot must never read as a different valid record.
@Suite struct LeafIndexFuzzTests {
    static let leafSize = 1 << 20
    static let blockSize = 64 << 10

    static func record(_ r: inout FuzzRandom) -> (record: LeafRecord, leaf: Int) {
        let length =
            r.int(0 ..< 3) == 0
            ? leafSize : r.pick([1, blockSize - 1, blockSize, blockSize + 1, r.int(1 ... leafSize)])
        let digest = r.bytes(32).withUnsafeBytes { SHA256Digest(copying: $0) }
        // One CRC per 64 KiB block, the last block possibly short.
        let blocks = length / blockSize + (length % blockSize == 0 ? 0 : 1)
        let crcs = (0 ..< blocks).map { _ in UInt32(truncatingIfNeeded: r.next()) }
        return (LeafRecord(digest: digest, length: length, blockCRCs: crcs), r.int(0 ... 40 << 20))
    }

    @Test func slotsRoundTripAndDamageIsDetected() {
        fuzz("LeafIndexFile slots") { r, run in
            let (record, leaf) = Self.record(&r)
            let evicted = r.bool()
            let slot = LeafIndexFile.encode(record, leaf: leaf, dataEvicted: evicted)
            let expected: LeafIndexFile.Slot = evicted ? .digestOnly(record.digest) : .cached(record)
            let what = "leaf \(leaf) length \(record.length)\(evicted ? " (digest only)" : "")"
            run.expect(slot.count == 128, "\(what): slot of \(slot.count) bytes")
            run.expect(
                LeafIndexFile.decode(slot[...], leaf: leaf, expectedLength: record.length) == expected,
                "\(what): does not round-trip")
            run.expect(
                LeafIndexFile.decode(slot[...], leaf: leaf + 1, expectedLength: record.length) == nil,
                "\(what): read as leaf \(leaf + 1)")
            run.expect(
                LeafIndexFile.decode(slot[...], leaf: leaf, expectedLength: record.length - 1) == nil,
                "\(what): read with another length")

            // One bit flipped anywhere.
            var flipped = slot
            let bit = r.int(0 ..< 128 * 8)
            flipped[bit / 8] ^= UInt8(1) << UInt8(bit % 8)
            let afterFlip = LeafIndexFile.decode(flipped[...], leaf: leaf, expectedLength: record.length)
            run.expect(afterFlip == nil || afterFlip == expected, "\(what): bit \(bit) flipped reads as another record")
            if afterFlip == nil { run.reject() }

            // Torn: a prefix of the slot, or a prefix followed by what was there before (zeros).
            let cut = r.int(0 ..< 128)
            let torn = Array(slot[..<cut]) + [UInt8](repeating: 0, count: 128 - cut)
            run.expect(
                LeafIndexFile.decode(slot[..<cut], leaf: leaf, expectedLength: record.length) == nil,
                "\(what): \(cut)-byte prefix decoded")
            let afterTear = LeafIndexFile.decode(torn[...], leaf: leaf, expectedLength: record.length)
            run.expect(afterTear == nil || afterTear == expected, "\(what): torn at \(cut) reads as another record")
            run.executions += 3
        }
    }

    @Test func randomSlotsDoNotDecode() {
        var plausibleAccepted = 0
        fuzz("LeafIndexFile random slots") { r, run in
            let leaf = r.int(0 ... 1 << 20)
            let length = r.bool() ? Self.leafSize : r.int(1 ... Self.leafSize)
            var slot = r.bytes(128)
            let noise = LeafIndexFile.decode(slot[...], leaf: leaf, expectedLength: length)
            run.expect(noise == nil, "random \(show(slot)) decoded")
            if noise == nil { run.reject() }
            // Right magic, leaf and length: only the CRC stands between noise and a record.
            let header: [UInt32] = [0x4641_454C, UInt32(leaf)]
            for (i, word) in header.enumerated() {
                for k in 0 ..< 4 { slot[4 * i + k] = UInt8(truncatingIfNeeded: word >> (8 * UInt32(k))) }
            }
            for k in 0 ..< 4 { slot[104 + k] = UInt8(truncatingIfNeeded: UInt32(length) >> (8 * UInt32(k))) }
            if LeafIndexFile.decode(slot[...], leaf: leaf, expectedLength: length) != nil {
                plausibleAccepted += 1
            } else {
                run.reject()
            }
            run.executions += 1
        }
        print(
            "fuzz LeafIndexFile random slots: \(plausibleAccepted) plausible random slots decoded (expected about n/2^32)"
        )
        #expect(plausibleAccepted <= 1, "random slots pass the CRC far more often than 2^-32 allows")
    }

    @Test func mutatedHeadersAreRejected() {
        fuzz("LeafIndexFile header") { r, run in
            let outputSize = Int64(r.magnitude(maxBits: 45))
            let leafCount = Int(outputSize / Int64(Self.leafSize)) + (outputSize % Int64(Self.leafSize) == 0 ? 0 : 1)
            let header = LeafIndexFile.header(outputSize: outputSize, leafCount: leafCount)
            let what = "output \(outputSize) leaves \(leafCount)"
            run.expect(
                header.count == 128
                    && LeafIndexFile.headerIsValid(header[...], outputSize: outputSize, leafCount: leafCount),
                "\(what): a fresh header is invalid")
            var mutated = header
            switch r.int(0 ..< 4) {
            case 0:
                let bit = r.int(0 ..< 128 * 8)
                mutated[bit / 8] ^= UInt8(1) << UInt8(bit % 8)
            case 1: mutated[r.int(0 ..< 128)] &+= UInt8(r.int(1 ... 255))
            case 2: mutated.removeLast(r.int(1 ... 128))
            default: mutated.append(contentsOf: r.bytes(r.int(1 ... 8)))
            }
            run.expect(
                !LeafIndexFile.headerIsValid(mutated[...], outputSize: outputSize, leafCount: leafCount),
                "\(what): mutated \(show(mutated)) accepted")
            run.expect(
                !LeafIndexFile.headerIsValid(header[...], outputSize: outputSize + 1, leafCount: leafCount)
                    && !LeafIndexFile.headerIsValid(header[...], outputSize: outputSize, leafCount: leafCount + 1),
                "\(what): accepted for another output")
            run.reject()
            run.executions += 2
        }
    }
}
