import Testing

@testable import GlacierIntegrity

/// The tree hash against a from-scratch reference: our own SHA-256 and a recursive tree.
@Suite struct TreeHashFuzzTests {
    static let mib = Int(ReferenceTree.mib)

    /// Random bytes shared by the buffer tests; slices at random offsets give every leaf
    /// different contents without generating megabytes per input.
    static let pool: [UInt8] = {
        var r = FuzzRandom(seed: FuzzConfig.seed ^ 0x706F_6F6C)
        return r.bytes(6 * mib + 4099)
    }()

    static func slice(_ r: inout FuzzRandom, maxSize: Int) -> ArraySlice<UInt8> {
        let sizes = [0, 1, 63, 64, 65, mib - 1, mib, mib + 1, 2 * mib, 2 * mib + 1, 3 * mib - 1]
        let size = r.bool() ? min(maxSize, r.pick(sizes)) : r.int(0 ... maxSize)
        let offset = r.int(0 ... pool.count - size)
        return pool[offset ..< offset + size]
    }

    static func bytes(_ d: SHA256Digest) -> [UInt8] { d.withBytes { Array($0) } }

    @Test func referenceSHA256MatchesPublishedVectors() {
        #expect(
            ReferenceSHA256.hex(ReferenceSHA256.hash([]))
                == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(
            ReferenceSHA256.hex(ReferenceSHA256.hash(Array("abc".utf8)))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            ReferenceSHA256.hex(
                ReferenceSHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func sha256MatchesReference() {
        fuzz("SHA256.hash", iterations: FuzzConfig.iterations(cost: 1)) { r, run in
            let data = r.bytes(r.int(0 ... (r.oneIn(16) ? 70_000 : 300)))
            let got = Self.bytes(SHA256.hash(data))
            run.expect(got == ReferenceSHA256.hash(data), "input \(show(data))")
        }
    }

    @Test func rootMatchesRecursiveReference() {
        fuzz("TreeHash.root", iterations: FuzzConfig.iterations(cost: 4)) { r, run in
            let count = r.oneIn(10) ? r.int(1 ... 1500) : r.int(1 ... 70)
            let leaves = (0 ..< count).map { _ in r.bytes(32) }
            let digests = leaves.map { b in b.withUnsafeBytes { SHA256Digest(copying: $0) } }
            let got = Self.bytes(TreeHash.root(of: digests))
            run.expect(got == ReferenceTree.root(leaves[...]), "\(count) random leaf digests, first \(show(leaves[0]))")
        }
    }

    @Test func treeHashOfBuffersMatchesReference() {
        fuzz("TreeHash.hash", iterations: FuzzConfig.iterations(cost: 100)) { r, run in
            let data = Self.slice(&r, maxSize: 2 * Self.mib + 1)  // the reference SHA-256 is slow in debug
            let got = Self.bytes(TreeHash.hash(Array(data)))
            run.expect(
                got == ReferenceTree.treeHash(Array(data)),
                "\(data.count) pool bytes at offset \(data.startIndex)")
            // One leaf, or empty data, is plain SHA-256 (design.md §2).
            if data.count <= Self.mib {
                run.expect(
                    got == Self.bytes(SHA256.hash(data)), "\(data.count) bytes: single leaf is not plain SHA-256")
            }
        }
    }

    @Test func builderInRandomPiecesMatchesOneShot() {
        fuzz("TreeHashBuilder", iterations: FuzzConfig.iterations(cost: 8)) { r, run in
            let data = Array(Self.slice(&r, maxSize: 5 * Self.mib + 3))
            let builder = TreeHashBuilder()
            var offset = 0
            var cuts: [Int] = []
            while offset < data.count || (offset == data.count && r.oneIn(4) && cuts.count < 3) {
                let piece: Int
                switch r.int(0 ..< 6) {
                case 0: piece = 0
                case 1: piece = r.int(1 ... 7)
                case 2: piece = Self.mib - offset % Self.mib  // up to the next leaf boundary exactly
                case 3: piece = r.int(1 ... 2 * Self.mib)
                default: piece = r.int(1 ... 300_000)
                }
                let end = min(data.count, offset + piece)
                data[offset ..< end].withUnsafeBytes { builder.update($0) }
                cuts.append(end - offset)
                offset = end
            }
            let root = builder.finalize()
            let what = "\(data.count) bytes in pieces \(cuts.prefix(40))"
            run.expect(builder.byteCount == Int64(data.count), "\(what): byteCount \(builder.byteCount)")
            run.expect(root == TreeHash.hash(data), "\(what): root differs from the one-shot hash")
            let oneShot = data.withUnsafeBytes { TreeHash.leafDigests(of: $0) }
            run.expect(builder.leafDigests == oneShot, "\(what): leaf digests differ")
        }
    }
}
