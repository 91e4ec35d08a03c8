import Foundation
import GlacierClient

/// Small archives named the way real upload tools name them, so the demo's `archives/` shows the
/// decoded tree: each format, a re-upload of the same name, an empty description and a FastGlacier
/// directory.
enum DemoNamedArchives {
    private static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    /// (description, contents), uploaded in this order.
    static var samples: [(String, String)] {
        let mt2 = base64(#"{"filename":"photos/2014/wedding.txt","mtime":"20140607T120000Z"}"#)
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return [
            ("mt2 " + mt2, "uploaded by mt-aws-glacier\n"),
            (
                "<m><v>4</v><p>\(base64("docs/report.txt"))</p><lm>20120821T170824Z</lm><ce>0:0:0:0</ce></m>",
                "uploaded by FastGlacier (or QNAP Hybrid Backup Sync)\n"
            ),
            (
                #"{"Path":"C:\\Users\\demo\\caf+AOk-.txt","UTCDateModified":"20100310T110623Z","Flags":0}"#,
                "uploaded by CloudBerry, its path in UTF-7\n"
            ),
            (#"{"path": "/sample/notes.txt", "type": "file"}"#, "uploaded by the older QNAP Glacier app\n"),
            ("backup/readme.txt", "a plain description, the first upload\n"),
            ("backup/readme.txt", "a plain description, uploaded again: the newest keeps the name\n"),
            ("", "no description at all: listed under _unnamed/\n"),
            ("<m><v>4</v><p>\(base64("empty-folder/"))</p><lm>20050101T000000Z</lm></m>", "/"),
        ]
    }

    /// Uploads the samples from files written in `directory`.
    static func upload(client: GlacierClient, vault: String, directory: String) async throws {
        for (i, sample) in samples.enumerated() {
            let path = directory + "/named-\(i)"
            try Data(sample.1.utf8).write(to: URL(fileURLWithPath: path))
            _ = try await client.uploadArchive(vault: vault, file: path, description: sample.0.isEmpty ? nil : sample.0)
            // CreationDate has millisecond precision: keep the re-upload later than the first.
            try await Task.sleep(nanoseconds: 5_000_000)
        }
    }
}
