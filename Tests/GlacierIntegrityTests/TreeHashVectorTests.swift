import Foundation
import GlacierIntegrity
import GlacierTestSupport
import Testing

struct TreeHashVectorFile: Decodable {
    struct Case: Decodable {
        var name: String
        var input: String
        var length: Int
        var sha256_tree_hash: String
        var sha256: String
    }
    var cases: [Case]
}

/// Rebuilds a vector's input from its description, e.g. "1048576 bytes of 'a'".
func vectorInput(_ c: TreeHashVectorFile.Case) throws -> [UInt8] {
    if c.length == 0 { return [] }
    let text = c.input
    if let quote = text.firstIndex(of: "'"), text.contains("bytes of '") {
        let ch = text[text.index(after: quote)]
        return [UInt8](repeating: ch.asciiValue!, count: c.length)
    }
    // "byte i = (i*31+7) mod 251, for i in 0..<N": the `length` field is authoritative (the
    // description's N disagrees with it in one vector, and only `length` reproduces both hashes).
    if text.contains("(i*31+7) mod 251") {
        return (0 ..< c.length).map { UInt8(($0 * 31 + 7) % 251) }
    }
    throw VectorError.unknownInput(text)
}

enum VectorError: Error { case unknownInput(String) }

@Suite struct TreeHashVectorTests {
    /// Loaded in the test, so a missing or unreadable file fails that test with its path.
    static func loadVectors() throws -> TreeHashVectorFile {
        let url = try TestPaths.fixture("treehash-vectors.json")
        return try JSONDecoder().decode(TreeHashVectorFile.self, from: Data(contentsOf: url))
    }

    @Test func everyVectorMatchesOneShotAndStreaming() throws {
        let vectors = try Self.loadVectors()
        #expect(vectors.cases.count >= 5)
        for c in vectors.cases {
            let input = try vectorInput(c)
            #expect(input.count == c.length, "\(c.name)")
            #expect(TreeHash.hash(input).hex == c.sha256_tree_hash, "one-shot tree hash of \(c.name)")
            #expect(SHA256.hash(input).hex == c.sha256, "plain SHA-256 of \(c.name)")

            // Feed the same bytes in awkward piece sizes: the streaming builder must agree.
            for piece in [1, 4095, 65536, 1_048_577] where piece > 1 || input.count <= 8192 {
                let builder = TreeHashBuilder()
                var offset = 0
                while offset < input.count {
                    let end = min(offset + piece, input.count)
                    input[offset ..< end].withUnsafeBytes { builder.update($0) }
                    offset = end
                }
                #expect(builder.finalize().hex == c.sha256_tree_hash, "streamed \(c.name) in \(piece)-byte pieces")
            }
        }
    }

    @Test func subRangeRootFromLeavesMatchesHashOfThoseBytes() {
        // 6.5 MiB of patterned data; every tree node's root computed from the whole output's
        // leaves must equal the tree hash of just that node's bytes.
        let size = 6 * TreeHash.leafSize + TreeHash.leafSize / 2
        let data = (0 ..< size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let leaves = data.withUnsafeBytes { TreeHash.leafDigests(of: $0) }
        let geometry = TreeGeometry(size: Int64(size))
        var checked = 0
        for start in 0 ..< geometry.leafCount {
            for end in (start + 1) ... geometry.leafCount where geometry.isNode(start ..< end) {
                let bytes = geometry.bytes(ofLeaves: start ..< end)
                let direct = TreeHash.hash(Array(data[Int(bytes.lowerBound) ..< Int(bytes.upperBound)]))
                #expect(TreeHash.root(of: leaves[start ..< end]) == direct, "node \(start)..<\(end)")
                checked += 1
            }
        }
        #expect(checked == 13)  // 7 leaves, 3 pairs, 2 quads (one short) and the root
    }

    @Test func digestHexRoundTrip() {
        let d = SHA256.hash("abc")
        #expect(d.hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256Digest(hex: d.hex) == d)
        #expect(SHA256Digest(hex: d.hex.uppercased()) == d)
        #expect(SHA256Digest(hex: "xyz") == nil)
        #expect(SHA256Digest(hex: String(repeating: "g", count: 64)) == nil)
    }

    @Test func hmacMatchesRFC4231Case2() {
        let mac = SHA256.hmac(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        let hex = mac.map { String(format: "%02x", $0) }.joined()
        #expect(hex == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }
}
