import GlacierModel
import Testing
import VaultInventory

@Suite struct CSVInventoryTests {
    static let header = "ArchiveId,ArchiveDescription,CreationDate,Size,SHA256TreeHash"

    func description(ofField field: String) throws -> String {
        try parse("\(Self.header)\nid1,\(field),2012-05-15T17:19:46Z,5,\(hashA)\n", .csv).0[0].archiveDescription
    }

    // vsespb/mt-aws-glacier t/unit/glacier/inventory_csv.t: Amazon's CSV escapes `"` as `\"` and
    // nothing else; each pair is (field as Amazon writes it, description).
    @Test(arguments: [
        (
            #""{\"Path\":\"glacier-ui.exe\",\"UTCDateModified\":\"20130313T040002Z\"}""#,
            #"{"Path":"glacier-ui.exe","UTCDateModified":"20130313T040002Z"}"#
        ),
        (
            #""{\"Path\":\"dir2/+BEQEMAQ5BDs-3\",\"UTCDateModified\":\"20130322T120043Z\"}""#,
            #"{"Path":"dir2/+BEQEMAQ5BDs-3","UTCDateModified":"20130322T120043Z"}"#
        ),
        (#""""#, ""),
        (#"",""#, ","),
        (#""\"""#, #"""#),
        (#""x\"x""#, #"x"x"#),
        (#""ZZZZZZZZzzzzzzz,\"\"\", ,\\"""#, #"ZZZZZZZZzzzzzzz,""", ,\""#),
        (#""\""#, #"\"#),
        (#""\\"""#, #"\""#),
        ("b", "b"),
    ])
    func amazonsQuotingAsMtAwsGlacierRecordedIt(field: String, expected: String) throws {
        #expect(try description(ofField: field) == expected)
    }

    @Test func columnsInAnyOrderCRLFAndPaddedFields() throws {
        let text =
            "CreationDate,Size,ArchiveId,ArchiveDescription,SHA256TreeHash\r\n"
            + "2012-05-15T17:19:46Z, 7 ,\"idA\",\"a,b\",\(hashA)\r\n"
            + "2012-05-16T17:19:46.123Z,0,idB,plain,\(hashB)"
        let (archives, summary) = try parse(text, .csv)
        #expect(summary.archiveCount == 2)
        #expect(summary.vaultARN == nil)
        #expect(
            archives[0]
                == InventoryArchive(
                    archiveId: "idA", archiveDescription: "a,b",
                    creationDate: "2012-05-15T17:19:46Z", size: 7, sha256TreeHash: hashA))
        #expect(archives[1].archiveId == "idB")
        #expect(archives[1].archiveDescription == "plain")
        #expect(archives[1].size == 0)
    }

    @Test func everyChunkBoundaryGivesTheSameResult() throws {
        let text =
            "\(Self.header)\nidA,\"x\\\"y,z\",2012-05-15T17:19:46Z,5,\(hashA)\r\nidB,\"\",2012-05-15T17:19:46Z,6,\(hashB)\n"
        let (whole, _) = try parse(text, .csv)
        #expect(whole.count == 2)
        for cut in 1 ..< text.utf8.count {
            #expect(try parse(text, .csv, chunks: [cut, text.utf8.count]).0 == whole, "cut at \(cut)")
        }
        #expect(try parse(text, .csv, chunks: Array(repeating: 1, count: text.utf8.count)).0 == whole)
    }

    @Test(arguments: [
        ("", "no header row"),
        ("ArchiveId,Description,CreationDate,Size,SHA256TreeHash\n", "the header row is"),
        ("ArchiveId,ArchiveId,CreationDate,Size,SHA256TreeHash\n", "the header row is"),
        ("\(header)\nidA,d,2012-05-15T17:19:46Z,5\n", "the row has 4 columns, not 5"),
        ("\(header)\nidA,a,b,2012-05-15T17:19:46Z,5,\(hashA)\n", "more than 5 columns"),
        ("\(header)\nidA,a\"b,2012-05-15T17:19:46Z,5,\(hashA)\n", "has a quote but is not quoted"),
        ("\(header)\nidA,\"ab,2012-05-15T17:19:46Z,5,\(hashA)\n", "quotes are not closed"),
        ("\(header)\n,d,2012-05-15T17:19:46Z,5,\(hashA)\n", "ArchiveId is empty"),
        ("\(header)\nidA,d,2012-05-15 17:19:46,5,\(hashA)\n", "is not an ISO 8601"),
        ("\(header)\nidA,d,2012-05-15T17:19:46Z,-1,\(hashA)\n", "Size \"-1\" is not a non-negative integer"),
        ("\(header)\nidA,d,2012-05-15T17:19:46Z,1e3,\(hashA)\n", "not a non-negative integer"),
        ("\(header)\nidA,d,2012-05-15T17:19:46Z,5,xyz\n", "not 64 hex digits"),
        ("\(header)\n\nidA,d,2012-05-15T17:19:46Z,5,\(hashA)\n", "the row is empty"),
        ("\(header)\nidA,\"" + String(repeating: "a", count: 70_000), "longer than"),
    ])
    func malformationsNameTheLine(text: String, expected: String) {
        let e = failure(text, .csv)
        #expect(e?.reason.contains(expected) == true, "\(text.prefix(90)): \(String(describing: e))")
        if text.hasPrefix(Self.header) {
            #expect(e?.entry == 2, "line 2 is the bad one")
            #expect(e?.offset == Int64(Self.header.utf8.count + 1))
            #expect(e?.description.contains("line 2, byte") == true)
        }
    }

    /// The emulator writes CSV through `InventoryDocument.csv()`; it must read back exactly.
    @Test func theEmulatorsCSVReadsBackExactly() throws {
        let hostile = [
            "plain", "", "a,b", #"say "hi""#, #"back\slash"#, #"ends with \"#, #"\""#, #"\\"#, " pad ",
            "mt2 eyJmaWxlbmFtZSI6ImEiLCJtdGltZSI6IjIwMjAwMTAxVDAwMDAwMFoifQ",
        ]
        let list = hostile.enumerated().map {
            InventoryArchive(
                archiveId: "id\($0.offset)", archiveDescription: $0.element,
                creationDate: "2012-05-15T17:19:46.700Z", size: Int64($0.offset), sha256TreeHash: hashA)
        }
        let document = InventoryDocument(
            vaultARN: "arn:aws:glacier:us-east-1:012345678901:vaults/v",
            inventoryDate: "2012-05-16T00:00:00Z", archiveList: list)
        let (archives, _) = try parse(document.csv(), .csv)
        #expect(archives.map(\.archiveDescription) == hostile, "quoted, even surrounding spaces survive")
        #expect(archives.map(\.archiveId) == list.map(\.archiveId))
    }
}
