import Foundation
import GlacierModel

/// A deterministic synthetic vault: every description format, directories of up to 10,000 files,
/// re-uploads (same name, later date) and empty descriptions.
enum SyntheticVault {
    static func archives(count: Int) -> [InventoryArchive] {
        var out: [InventoryArchive] = []
        out.reserveCapacity(count)
        let hash = String(repeating: "ab", count: 32)
        for i in 0 ..< count {
            let dir = "dir\(i % 20)/sub\(i % 7)"
            let name = "file\(i / 3 % 20_000).dat"  // every name three times: re-uploads
            let description: String
            switch i % 6 {
            case 0:
                description =
                    "mt2 " + base64url(Array(#"{"filename":"\#(dir)/\#(name)","mtime":"20200101T000000Z"}"#.utf8))
            case 1:
                description =
                    "<m><v>4</v><p>" + base64(Array("\(dir)/\(name)".utf8))
                    + "</p><lm>20190501T100059Z</lm><ce>0:0:4340ebcf79712dc5e3ef7d50bab98ba5:54687</ce></m>"
            case 2:
                description =
                    #"{"Path":"C:\\\#(dir.replacingOccurrences(of: "/", with: "\\\\"))\\\#(name)","UTCDateModified":"20100310T110623Z","Flags":0}"#
            case 3: description = #"{"path": "/\#(dir)/\#(name)", "type": "file"}"#
            case 4: description = i % 60 == 4 ? "" : "\(dir)/\(name)"
            default: description = "big/\(name)"
            }
            let id = String(repeating: "I", count: 130) + String(format: "%08d", i)
            let day = 1 + i % 28
            out.append(
                InventoryArchive(
                    archiveId: id, archiveDescription: description,
                    creationDate: "2015-02-\(day < 10 ? "0" : "")\(day)T10:00:00Z",
                    size: Int64(i), sha256TreeHash: hash))
        }
        return out
    }
}
