import Foundation
import GlacierModel
import Testing
import VaultInventory

/// Feeds `text` to a parser in the given chunk sizes and collects what it emits.
func parse(
    _ text: String, _ format: InventoryParser.Format, chunks: [Int]? = nil
) throws -> ([InventoryArchive], InventorySummary) {
    let bytes = Array(text.utf8)
    var parser = InventoryParser(format: format)
    var out: [InventoryArchive] = []
    var at = 0
    var sizes = chunks ?? [bytes.count]
    while at < bytes.count {
        let n = min(sizes.isEmpty ? bytes.count : sizes.removeFirst(), bytes.count - at)
        try bytes[at ..< (at + n)].withUnsafeBytes { try parser.feed($0) { out.append($0) } }
        at += n
    }
    let summary = try parser.finish { out.append($0) }
    return (out, summary)
}

/// The InventoryError `text` raises.
func failure(_ text: String, _ format: InventoryParser.Format) -> InventoryError? {
    do {
        _ = try parse(text, format)
        return nil
    } catch let e as InventoryError {
        return e
    } catch {
        return nil
    }
}

let hashA = "9a1ba5f11d979428bfcbe8d0159227ad03332fca4b234ce116c48af8d9efe9e6"
let hashB = String(repeating: "0123456789abcdef", count: 4)

@Suite struct JSONInventoryTests {
    // The shape of AWS's documented inventory (api-job-output.md), with its published values.
    static let valid = """
        {"VaultARN":"arn:aws:glacier:us-west-2:012345678901:vaults/examplevault","InventoryDate":"2011-12-12T14:19:01Z",
         "ArchiveList":[
           {"ArchiveId":"DMTmICA2n5Tdqq5BV2z7og-A20xnpAPKt3UXwWxdWsn_D6auTUrW6kwy5Qyj9xd1MCE1mBYvMQ63LWaT8yTMzMaCxB_9VBWrW4Jw4zsvg5kehAPDVKcppUD1X7b24JukOr4mMAq-oA",
            "ArchiveDescription":"my archive1","CreationDate":"2012-05-15T17:19:46.700Z","Size":2140123,
            "SHA256TreeHash":"6b9d4cf8697bd3af6aa1b590a0b27b337da5b18988dbcc619a3e608a554a1e62"},
           {"ArchiveId":"2lHzwhKhgF2JHyvCS-ZRuF08IQLuyB4265Hs3AXj9MoAIhz7tbXAvcFeHusgU_hViO1WeCBe0N5lsYYHRyZ7rrmRkNRuYrXUs_sjl2K8ume_7mKO_0i7C-uHE1oHqaW9d37pabXrSA",
            "ArchiveDescription":"my archive2 \\"quoted\\" \\u00e9 \\ud83d\\ude00","CreationDate":"2012-05-15T17:21:39.339Z",
            "Size":2140123,"SHA256TreeHash":"7f2fe580edb35154041fa3d4b41dd6d3adaef0c85d2ff6309f1d4b520eeecda3"}
         ]}
        """

    @Test func parsesAWSsDocumentedShape() throws {
        let (archives, summary) = try parse(Self.valid, .json)
        #expect(
            summary
                == InventorySummary(
                    vaultARN: "arn:aws:glacier:us-west-2:012345678901:vaults/examplevault",
                    inventoryDate: "2011-12-12T14:19:01Z", archiveCount: 2))
        #expect(archives.count == 2)
        #expect(archives[0].archiveDescription == "my archive1")
        #expect(archives[0].size == 2_140_123)
        #expect(archives[1].archiveDescription == "my archive2 \"quoted\" é 😀")
        #expect(archives[1].creationDate == "2012-05-15T17:21:39.339Z")
    }

    @Test func everyChunkBoundaryGivesTheSameResult() throws {
        let (whole, summary) = try parse(Self.valid, .json)
        let n = Self.valid.utf8.count
        for cut in 1 ..< n {
            let (split, s) = try parse(Self.valid, .json, chunks: [cut, n])
            #expect(split == whole, "cut at \(cut)")
            #expect(s == summary)
        }
        let (bytewise, _) = try parse(Self.valid, .json, chunks: Array(repeating: 1, count: n))
        #expect(bytewise == whole)
    }

    @Test func unknownMembersAreCheckedAndSkipped() throws {
        let text =
            #"{"Extra":{"a":[1,2.5e3,true,null,{"b":"c"}]},"VaultARN":"v","InventoryDate":"2011-12-12T14:19:01Z","ArchiveList":[{"ArchiveId":"x","ArchiveDescription":"","CreationDate":"2012-05-15T17:19:46Z","Size":0,"SHA256TreeHash":"\#(hashA)","Later":[]}]}"#
        let (archives, _) = try parse(text, .json)
        #expect(archives.map(\.archiveId) == ["x"])
        #expect(
            try parse(#"{"VaultARN":"v","InventoryDate":"2011-12-12T14:19:01Z","ArchiveList":[]}"#, .json).1
                .archiveCount == 0)
    }

    func entry(_ fields: String) -> String {
        #"{"VaultARN":"v","InventoryDate":"2011-12-12T14:19:01Z","ArchiveList":[{"ArchiveId":"ok","ArchiveDescription":"d","CreationDate":"2012-05-15T17:19:46Z","Size":1,"SHA256TreeHash":"\#(hashA)"},{\#(fields)}]}"#
    }

    static let good = #""ArchiveId":"id2","ArchiveDescription":"d","CreationDate":"2012-05-15T17:19:46Z","Size":5"#

    @Test(arguments: [
        (#"[1,2]"#, "starting with '{'"),
        (#"{"VaultARN":"v","InventoryDate":"2011-12-12T14:19:01Z"}"#, "no ArchiveList"),
        (#"{"VaultARN":"v","ArchiveList":[]}"#, "no InventoryDate"),
        (#"{"VaultARN":"v","InventoryDate":"yesterday","ArchiveList":[]}"#, "not an ISO 8601"),
        (#"{"VaultARN":5,"InventoryDate":"2011-12-12T14:19:01Z","ArchiveList":[]}"#, "VaultARN is 5, not a string"),
        (#"{"VaultARN":"v","InventoryDate":"2011-12-12T14:19:01Z","ArchiveList":{}}"#, "ArchiveList is not an array"),
        (#"{"VaultARN":"v","InventoryDate":"2011-12-12T14:19:01Z","ArchiveList":[7]}"#, "entry 1 is not an object"),
        (
            #"{"VaultARN":"v","VaultARN":"w","InventoryDate":"2011-12-12T14:19:01Z","ArchiveList":[]}"#,
            "VaultARN appears twice"
        ),
        (#"{"VaultARN":"v","InventoryDate":"2011-12-12T14:19:01Z","ArchiveList":[]} x"#, "more data after"),
        (#"{"VaultARN":"v","InventoryDate":"2011-12-12T14:19:01Z","ArchiveList":[]} #"#, "unexpected byte 0x23"),
        (#"{"VaultARN":"v","InventoryDate":"2011-12-12T14:19:01Z","ArchiveList":[]}{}"#, "more data after"),
        (#"{"VaultARN":"v","InventoryDate":"2011-12-12T14:19:01Z","ArchiveList":["#, "ends before its closing brace"),
        (#"{"VaultARN":"v"#, "ends inside a string"),
        ("", "is empty"),
        (#"{"VaultARN":"a\qb"}"#, "invalid escape"),
        ("{\"VaultARN\":\"a\nb\"}", "control character"),
        (#"{"VaultARN" "v"}"#, "expected ':'"),
        (#"{"VaultARN":"v",}"#, "expected a member name"),
        (#"{"X":[1,]}"#, "expected a value"),
        (#"{"X":tru}"#, "tru is not a JSON value"),
        (#"{"X":01}"#, "01 is not a JSON value"),
        ("{\"X\":" + String(repeating: "[", count: 100), "nested more than"),
        ("{\"X\":\"" + String(repeating: "a", count: 70_000) + "\"}", "longer than"),
    ])
    func structuralMalformationsAreNamed(text: String, expected: String) {
        let e = failure(text, .json)
        #expect(e?.reason.contains(expected) == true, "\(text.prefix(80)): \(String(describing: e))")
    }

    @Test(arguments: [
        (
            #""ArchiveId":"","ArchiveDescription":"d","CreationDate":"2012-05-15T17:19:46Z","Size":5,"SHA256TreeHash":"\#(hashA)""#,
            "ArchiveId is empty"
        ),
        (
            #""ArchiveId":"a/b","ArchiveDescription":"d","CreationDate":"2012-05-15T17:19:46Z","Size":5,"SHA256TreeHash":"\#(hashA)""#,
            "never has"
        ),
        (good + #","SHA256TreeHash":"abc""#, "not 64 hex digits"),
        (
            #""ArchiveId":"id2","ArchiveDescription":"d","CreationDate":"2012-05-15","Size":5,"SHA256TreeHash":"\#(hashA)""#,
            "CreationDate \"2012-05-15\" is not an ISO 8601"
        ),
        (
            #""ArchiveId":"id2","ArchiveDescription":"d","CreationDate":"2012-02-30T00:00:00Z","Size":5,"SHA256TreeHash":"\#(hashA)""#,
            "not an ISO 8601"
        ),
        (
            #""ArchiveId":"id2","ArchiveDescription":"d","CreationDate":"2012-05-15T17:19:46Z","Size":-5,"SHA256TreeHash":"\#(hashA)""#,
            "Size is -5, not a non-negative integer"
        ),
        (
            #""ArchiveId":"id2","ArchiveDescription":"d","CreationDate":"2012-05-15T17:19:46Z","Size":1.5,"SHA256TreeHash":"\#(hashA)""#,
            "Size is 1.5"
        ),
        (
            #""ArchiveId":"id2","ArchiveDescription":"d","CreationDate":"2012-05-15T17:19:46Z","Size":"5","SHA256TreeHash":"\#(hashA)""#,
            "not a non-negative integer"
        ),
        (
            #""ArchiveId":"id2","ArchiveDescription":"d","CreationDate":"2012-05-15T17:19:46Z","Size":99999999999999999999,"SHA256TreeHash":"\#(hashA)""#,
            "not a non-negative integer"
        ),
        (
            #""ArchiveId":"id2","ArchiveDescription":7,"CreationDate":"2012-05-15T17:19:46Z","Size":5,"SHA256TreeHash":"\#(hashA)""#,
            "ArchiveDescription is 7, not a string"
        ),
        (good, "the entry has no SHA256TreeHash"),
        (good + #","Size":6,"SHA256TreeHash":"\#(hashA)""#, "Size appears twice"),
    ])
    func entryMalformationsNameTheEntry(fields: String, expected: String) {
        let e = failure(entry(fields), .json)
        #expect(e?.reason.contains(expected) == true, "\(fields): \(String(describing: e))")
        #expect(e?.entry == 2, "the second entry is the bad one")
        #expect(e.map { $0.offset > 150 } == true, "the offset points into the second entry")
        #expect(e?.description.contains("archive entry 2, byte") == true)
    }
}

@Suite struct EmulatorInventoryTests {
    /// The emulator writes JSON with the model's Codable keys; it must parse back exactly.
    @Test func theModelsJSONReadsBackExactly() throws {
        let list = (0 ..< 5).map {
            InventoryArchive(
                archiveId: "id\($0)", archiveDescription: "d \"\($0)\" \\ é",
                creationDate: "2012-05-15T17:19:46.700Z", size: Int64($0), sha256TreeHash: hashA)
        }
        let document = InventoryDocument(
            vaultARN: "arn:aws:glacier:us-east-1:012345678901:vaults/v",
            inventoryDate: "2012-05-16T00:00:00.000Z", archiveList: list)
        let text = String(decoding: try JSONEncoder().encode(document), as: UTF8.self)
        let (archives, summary) = try parse(text, .json)
        #expect(archives == list)
        #expect(summary.archiveCount == 5)
        #expect(InventoryParser.Format(detecting: Array(text.utf8.prefix(8))) == .json)
        #expect(InventoryParser.Format(detecting: Array(document.csv().utf8.prefix(8))) == .csv)
    }
}
