import AWSSigning
import ArchiveNames
import Testing

/// Each format is tested on the examples its authors (or the peers' test suites) published; the
/// source of each is named beside it.
@Suite struct DescriptionDecoderTests {
    func decode(_ description: String, size: Int64 = 100, id: String = "ARCHIVEID0123456789") -> DecodedDescription {
        ArchiveDescriptionDecoder.decode(description, archiveId: id, size: size)
    }

    // vsespb/mt-aws-glacier issue #119 (a real upload), as quoted in MIGRATION-FACTS.md.
    @Test func mt2RealDescription() {
        let d = decode("mt2 eyJmaWxlbmFtZSI6ImFwcDIuZGMuZnVicmEubmV0LnRhci5neiIsIm10aW1lIjoiMjAxNjA5MDZUMTYzNDUyWiJ9")
        #expect(d.decoder == "mt2")
        #expect(d.components == ["app2.dc.fubra.net.tar.gz"])
        #expect(d.modified == seconds("20160906T163452Z"))
        #expect(d.modified == 1_473_179_692)
        #expect(d.flags == nil)
    }

    // vsespb/mt-aws-glacier t/unit/metadata.t: "should call decode for mt1"; the name is "ЯAЯ"
    // double-encoded (latin1 → UTF-8), mtime 123 s after the epoch.
    @Test func mt1DoubleEncoded() {
        let d = decode("mt1 eyJmaWxlbmFtZSI6IsOQwq9Bw5DCryIsIm10aW1lIjoiMTk3MDAxMDFUMDAwMjAzWiJ9")
        #expect(d.decoder == "mt1")
        #expect(d.components == ["ЯAЯ"])
        #expect(d.modified == 123)
    }

    @Test func mt2WithSubdirectoriesKeysInAnyOrderAndNonASCII() {
        // base64url (no padding) of {"mtime":"20200101T000000Z","filename":"фото/2014/свадьба.tar"}
        let json = #"{"mtime":"20200101T000000Z","filename":"фото/2014/свадьба.tar"}"#
        let d = decode("mt2 " + base64url(Array(json.utf8)))
        #expect(d.decoder == "mt2")
        #expect(d.components == ["фото", "2014", "свадьба.tar"])
        #expect(d.modified == 1_577_836_800)
    }

    @Test func mtijob1IsNotAnArchiveName() {
        let description = "mtijob1 " + base64url(Array(#"{"type":"full"}"#.utf8))
        let d = decode(description)
        #expect(d.decoder == "plain-text")
        #expect(d.components == [description])
    }

    @Test func malformedMtFallsBackToPlainText() {
        for bad in [
            "mt2 !!!notbase64", "mt2 " + base64url(Array(#"{"filename":"a"}"#.utf8)),
            "mt2 " + base64url(Array(#"{"filename":"a","mtime":"2020-01-01"}"#.utf8)),
            "mt2 " + base64url(Array(#"{"filename":"a","mtime":"20200101T000000Z","x":{"y":1}}"#.utf8)),
        ] {
            let d = decode(bad)
            #expect(d.decoder == "plain-text", "\(bad)")
        }
    }

    // fastglacier.com fastglacier-metadata-format.aspx, the v4 and v3 examples.
    @Test func fastGlacierV4AndV3PublishedExamples() {
        let v4 = decode(
            """
            <m>
              <v>4</v>
              <p>Z2xhY2llci1kZy5wZGY=</p>
              <lm>20120821T170824Z</lm>
              <ce>1:1:4340ebcf79712dc5e3ef7d50bab98ba5:54687</ce>
            </m>
            """)
        #expect(v4.decoder == "fastglacier-v4")
        #expect(v4.components == ["glacier-dg.pdf"])
        #expect(v4.modified == seconds("20120821T170824Z"))
        #expect(v4.flags == [.compressed, .encrypted])
        #expect(!v4.isDirectory)

        let v3 = decode(
            "<m><v>3</v><p>Z2xhY2llci1kZy5wZGY=</p><lm>20120821T170824Z</lm>"
                + "<ce>0:0:4340ebcf79712dc5e3ef7d50bab98ba5</ce></m>")
        #expect(v3.decoder == "fastglacier-v3")
        #expect(v3.components == ["glacier-dg.pdf"])
        #expect(v3.flags == [])
    }

    // aws-solutions/amazon-s3-glacier-refreezer source/lambda/requestArchives/tests/filenameparser.test.js
    @Test func fastGlacierQuotedAndPaddedFromRefreezerTests() {
        let v1 = decode(
            #""<ArchiveMetadata>           <Path>       UkVOREVSRkFSTTUvQjovb25lL3R3by90aHJlZS9jaDAxX3NlcTAwNF9zaDAwMTAuMjA0NC5kcHg=   </Path></ArchiveMetadata>""#
        )
        #expect(v1.decoder == "fastglacier-v1")
        // "RENDERFARM5/B:/one/two/three/ch01_seq004_sh0010.2044.dpx": the drive letter becomes a directory.
        #expect(v1.path == "RENDERFARM5/B/one/two/three/ch01_seq004_sh0010.2044.dpx")
        let unquoted = decode(
            #"<ArchiveMetadata>           <Path>       UkVOREVSRkFSTTUvQjovb25lL3R3by90aHJlZS9jaDAxX3NlcTAwNF9zaDAwMTAuMjA0NC5kcHg=   </Path></ArchiveMetadata>"#
        )
        #expect(unquoted == v1)

        let v4 = decode(
            #""       <m><v>4</v><p>RlgxNTAvQ0JCX2ZpZ3VyZS9lZTRjM2MxOS00OTBkLTQwN2UtOGJlNy04ODliZTQxYjQ4YmIuY2Ji </p><lm>20190121T085242Z       </lm>        </m>""#
        )
        #expect(v4.decoder == "fastglacier-v4")
        #expect(v4.path == "FX150/CBB_figure/ee4c3c19-490d-407e-8be7-889be41b48bb.cbb")
        #expect(v4.modified == seconds("20190121T085242Z"))
        #expect(v4.flags == nil, "no <ce>: the tool recorded no flags")
    }

    // 6bee/qnap-backup-recovery-tool README.md: Hybrid Backup Sync writes FastGlacier v4.
    @Test func qnapHybridBackupSync() {
        let d = decode("<m><v>4</v><p>L3NhbXBsZS8xMjM0LnBkZg==</p><lm>20190501T100059Z</lm></m>", size: 8388)
        #expect(d.decoder == "fastglacier-v4")
        #expect(d.components == ["sample", "1234.pdf"])
        #expect(d.modified == seconds("20190501T100059Z"))
    }

    @Test func fastGlacierDirectoryIsAOneByteArchiveEndingInSlash() {
        // base64("photos/2014/") = cGhvdG9zLzIwMTQv
        let dir = decode("<m><v>4</v><p>cGhvdG9zLzIwMTQv</p><lm>20140101T000000Z</lm></m>", size: 1)
        #expect(dir.isDirectory)
        #expect(dir.components == ["photos", "2014"])
        let notDir = decode("<m><v>4</v><p>cGhvdG9zLzIwMTQv</p><lm>20140101T000000Z</lm></m>", size: 2)
        #expect(!notDir.isDirectory)
    }

    @Test func fastGlacierNonASCIIPathIsUTF8NotMangled() {
        // base64(UTF-8 "Fotos/Größe.jpg")
        let d = decode("<m><v>4</v><p>" + base64(Array("Fotos/Größe.jpg".utf8)) + "</p><lm>20140101T000000Z</lm></m>")
        #expect(d.components == ["Fotos", "Größe.jpg"])
    }

    @Test func malformedFastGlacierFallsBack() {
        for bad in [
            "<m><v>4</v><p>***</p></m>", "<m><v>4</v><lm>20140101T000000Z</lm></m>",
            "<ArchiveMetadata><Path>a=b=</Path></ArchiveMetadata>",
        ] {
            #expect(decode(bad).decoder == "plain-text", "\(bad)")
        }
    }

    // vsespb/mt-aws-glacier t/unit/glacier/inventory_csv.t: CloudBerry descriptions from a real
    // inventory; "+BEQEMAQ5BDs-" is UTF-7 for "файл".
    @Test func cloudBerryUTF7Paths() {
        let d = decode(#"{"Path":"dir2/+BEQEMAQ5BDs-3","UTCDateModified":"20130322T120043Z"}"#)
        #expect(d.decoder == "cloudberry")
        #expect(d.components == ["dir2", "файл3"])
        #expect(d.modified == seconds("20130322T120043Z"))
        #expect(d.flags == nil)
        let plain = decode(#"{"Path":"glacier-ui.exe","UTCDateModified":"20130313T040002Z"}"#)
        #expect(plain.components == ["glacier-ui.exe"])
    }

    @Test func cloudBerryWindowsPathDriveLetterAndFlags() {
        // CloudBerry's own description of the format: "c:\myfolder\myfile.txt", Flags 1 | 2.
        let d = decode(#"{"Path":"c:\\myfolder\\my+AF8-file.txt","UTCDateModified":"20100310T110623Z","Flags":3}"#)
        #expect(d.components == ["c", "myfolder", "my_file.txt"])
        #expect(d.flags == [.compressed, .encrypted])
        #expect(decode(#"{"Path":"a.txt","Flags":2}"#).flags == [.encrypted])
    }

    // aws-solutions/amazon-s3-glacier-refreezer filenameparser.test.js: its fixture's "+F8-" and "+A8-"
    // are not valid UTF-7 (12 bits each), so the path is kept exactly as written.
    @Test func cloudBerryInvalidUTF7IsKeptAsWritten() {
        let d = decode(
            #"{"Path":"CB+F8-M5/B:/c01/q004/s0010/c01+AF8-s00+A8-s0010+F8/h01.1094.dpx","UTCDateModified":"20100310T110623Z"}"#
        )
        #expect(d.decoder == "cloudberry")
        #expect(d.path == "CB+F8-M5/B/c01/q004/s0010/c01+AF8-s00+A8-s0010+F8/h01.1094.dpx")
        #expect(d.modified == seconds("20100310T110623Z"))
    }

    // 6bee/qnap-backup-recovery-tool README.md: the older "Glacier" app.
    @Test func qnapJSON() {
        let d = decode(#"{"path": "/sample/1234.pdf", "type": "file"}"#)
        #expect(d.decoder == "qnap-json")
        #expect(d.components == ["sample", "1234.pdf"])
        #expect(d.modified == nil)
    }

    @Test func plainTextAndUnnamed() {
        let d = decode("backup 2014\\photos\\wedding.tar")
        #expect(d.decoder == "plain-text")
        #expect(d.components == ["backup 2014", "photos", "wedding.tar"])
        // glacier-cmd's default.
        #expect(decode("No description.").components == ["No description."])
        for empty in ["", "   ", "/", "//./", "\\"] {
            let u = decode(empty, id: "AbC-_123")
            #expect(u.decoder == "unnamed", "\(empty)")
            #expect(u.components == ["_unnamed", "AbC-_123"])
        }
        // A recognised format with an empty path names nothing either, but keeps what else it recorded
        // (refreezer's "Should parse empty file name from JSON").
        let emptyJSON = decode(#"{"Path":"   ","UTCDateModified":"20100310T110623Z"}"#, id: "AAAQQQ")
        #expect(emptyJSON.components == ["_unnamed", "AAAQQQ"])
        #expect(emptyJSON.decoder == "unnamed")
        #expect(emptyJSON.modified == seconds("20100310T110623Z"))
    }

    @Test func hostileDescriptionsNeverEscapeTheView() {
        let traversal = decode("../../etc/passwd")
        #expect(traversal.components == ["%2E%2E", "%2E%2E", "etc", "passwd"])
        let nul = decode("a\u{0}b/c")
        #expect(nul.components == ["a%00b", "c"])
        let long = decode(String(repeating: "x", count: 10_000))
        #expect(long.components.count == 1)
        #expect(long.components[0].utf8.count == 255)
        // A FastGlacier path with bytes that are not UTF-8 (latin1 "é" = 0xE9).
        let latin1 = decode("<m><v>4</v><p>" + base64([0x63, 0x61, 0x66, 0xE9, 0x2E, 0x74, 0x78, 0x74]) + "</p></m>")
        #expect(latin1.components == ["caf%E9.txt"])
    }
}

func base64url(_ bytes: [UInt8]) -> String {
    base64(bytes).replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        .replacingOccurrences(of: "=", with: "")
}

func base64(_ bytes: [UInt8]) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    var out = ""
    var i = 0
    while i < bytes.count {
        let n = min(3, bytes.count - i)
        var v = UInt32(bytes[i]) << 16
        if n > 1 { v |= UInt32(bytes[i + 1]) << 8 }
        if n > 2 { v |= UInt32(bytes[i + 2]) }
        for k in 0 ..< 4 { out.append(k <= n ? alphabet[Int((v >> UInt32(18 - 6 * k)) & 63)] : "=") }
        i += 3
    }
    return out
}

/// Seconds since 1970 for a `YYYYMMDDTHHMMSSZ` time, as the tools record it.
func seconds(_ text: String) -> Int64? { AmzDate.parse(text).map { Int64($0.timeIntervalSince1970) } }
