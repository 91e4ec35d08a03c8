import Foundation
import GlacierModel
import Testing
import VaultInventory

/// 200,000 archives, generated and parsed chunk by chunk so the whole inventory is never in memory.
@Suite struct InventoryScaleTests {
    static let count = 200_000

    static func entry(_ i: Int) -> InventoryArchive {
        InventoryArchive(
            archiveId: "ID" + String(repeating: "x", count: 128) + String(format: "%08d", i),
            archiveDescription: i % 10 == 0 ? "" : #"photos/\#(i % 100)/IMG_\#(i).jpg "q""#,
            creationDate: "2015-02-03T10:00:00.123Z", size: Int64(i) * 1000,
            sha256TreeHash: String(format: "%064x", i))
    }

    /// Streams `count` entries in the given format through `feed`, about 64 KiB at a time. Written
    /// by hand rather than by an encoder, so generating costs less than parsing.
    static func generate(_ format: InventoryParser.Format, _ feed: ([UInt8]) throws -> Void) throws {
        var chunk: [UInt8] = []
        chunk += Array(
            (format == .json
                ? #"{"VaultARN":"arn:aws:glacier:us-east-1:012345678901:vaults/big","InventoryDate":"2015-02-04T00:00:00Z","ArchiveList":["#
                : "ArchiveId,ArchiveDescription,CreationDate,Size,SHA256TreeHash\n").utf8)
        for i in 0 ..< count {
            let a = entry(i)
            if format == .json {
                let description = a.archiveDescription.replacingOccurrences(of: "\"", with: "\\\"")
                chunk += Array(
                    ((i > 0 ? "," : "")
                        + #"{"ArchiveId":"\#(a.archiveId)","ArchiveDescription":"\#(description)","CreationDate":"\#(a.creationDate)","Size":\#(a.size),"SHA256TreeHash":"\#(a.sha256TreeHash)"}"#)
                        .utf8)
            } else {
                let description = a.archiveDescription.replacingOccurrences(of: "\"", with: "\\\"")
                chunk += Array(
                    "\(a.archiveId),\"\(description)\",\(a.creationDate),\(a.size),\(a.sha256TreeHash)\n".utf8)
            }
            if chunk.count >= 65536 {
                try feed(chunk)
                chunk.removeAll(keepingCapacity: true)
            }
        }
        if format == .json { chunk += Array("]}".utf8) }
        try feed(chunk)
    }

    @Test(arguments: [InventoryParser.Format.json, .csv])
    func twoHundredThousandArchives(format: InventoryParser.Format) throws {
        var parser = InventoryParser(format: format)
        var n = 0
        var sizes: Int64 = 0
        var mismatches = 0
        let clock = ContinuousClock()
        let elapsed = try clock.measure {
            try Self.generate(format) { bytes in
                try bytes.withUnsafeBytes { buffer in
                    try parser.feed(buffer) { archive in
                        if n % 997 == 0, archive != Self.entry(n) { mismatches += 1 }
                        n += 1
                        sizes += archive.size
                    }
                }
            }
            let summary = try parser.finish()
            #expect(summary.archiveCount == Self.count)
        }
        print("generate and parse 200,000 archives (\(format.rawValue)): \(elapsed)")
        #expect(n == Self.count)
        #expect(mismatches == 0)
        #expect(sizes == Int64(Self.count) * Int64(Self.count - 1) / 2 * 1000)
    }
}
