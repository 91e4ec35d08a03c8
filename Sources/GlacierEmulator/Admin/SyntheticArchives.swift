import Foundation
import GlacierModel

/// Many archives at once, for scale tests of the names view: metadata only (they live in memory and
/// hold no bytes, so retrieving one fails), with descriptions in the upload tools' formats.
///
/// Archive `i` is named, in turn, by mt-aws-glacier `mt2`, FastGlacier v4, CloudBerry (a Windows
/// path) and plain text, in 20 directories of 7 subdirectories; archives below 10,000 go to one
/// directory `flat/` (a 10,000-file `ls -l`, plain text), and every 50th re-uploads the name of the
/// one before.
enum SyntheticArchives {
    static func description(_ i: Int) -> String {
        if i < 10_000 { return "flat/file\(i).dat" }
        let name = "dir\(i % 20)/sub\(i % 7)/file\(i % 50 == 0 ? i - 1 : i).dat"
        switch i % 4 {
        case 0:
            let json = #"{"filename":"\#(name)","mtime":"20200101T000000Z"}"#
            return "mt2 "
                + Data(json.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        case 1:
            return "<m><v>4</v><p>\(Data(name.utf8).base64EncodedString())</p><lm>20190501T100059Z</lm></m>"
        case 2:
            return
                #"{"Path":"C:\\\#(name.replacingOccurrences(of: "/", with: "\\\\"))","UTCDateModified":"20100310T110623Z"}"#
        default:
            return name
        }
    }
}

extension EmulatorService {
    /// Adds `count` metadata-only archives to `vault` (see `SyntheticArchives`); returns how many it holds.
    func createSyntheticArchives(vault: String, count: Int) throws -> Int {
        guard (1 ... 2_000_000).contains(count) else {
            throw ServiceError.invalidParameter("count must be between 1 and 2000000.")
        }
        let now = store.now
        return try store.withState { s throws(ServiceError) in
            guard var v = s.vaults[vault] else { throw vaultNotFound(vault) }
            s.vaults[vault] = nil  // edit the vault in place without copying its tables
            defer { s.vaults[vault] = v }
            let start = v.archives.count
            for i in start ..< (start + count) {
                let size = Int64(i % 1000) * 1024 + 1
                let record = ArchiveRecord(
                    id: Identifiers.archiveId(), description: SyntheticArchives.description(i),
                    size: size, treeHash: String(format: "%064x", i),
                    creationDate: now.addingTimeInterval(Double(i) / 1000), deletedAt: nil)
                v.archives[record.id] = StoredArchive(record: record, leaves: [])
            }
            return v.archives.count
        }
    }
}
