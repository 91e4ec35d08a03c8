import Foundation
import GlacierFileSystem
import Testing

@Suite struct ContentSnifferTests {
    func sniff(_ bytes: [UInt8]) -> String? { bytes.withUnsafeBytes { ContentSniffer.mediaType($0) } }

    @Test func eachSignature() {
        var tar = [UInt8](repeating: 0, count: 512)
        tar.replaceSubrange(257 ..< 263, with: Array("ustar\0".utf8))
        #expect(sniff(tar) == "application/x-tar")
        #expect(sniff([0x1F, 0x8B, 0x08, 0x00]) == "application/gzip")
        #expect(sniff(Array("PK\u{3}\u{4}rest".utf8)) == "application/zip")
        #expect(sniff([0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C, 0x00, 0x04]) == "application/x-7z-compressed")
        #expect(sniff(Array("%PDF-1.7\n".utf8)) == "application/pdf")
        #expect(sniff([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0]) == "image/png")
        #expect(sniff([0xFF, 0xD8, 0xFF, 0xE0]) == "image/jpeg")
    }

    @Test func realToolsOutputIsRecognised() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sniff-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data("hello\n".utf8).write(to: URL(fileURLWithPath: dir + "/a.txt"))
        for (tool, arguments, output, type) in [
            ("/bin/tar", ["-cf", dir + "/a.tar", "-C", dir, "a.txt"], "a.tar", "application/x-tar"),
            ("/bin/gzip", ["-k", dir + "/a.txt"], "a.txt.gz", "application/gzip"),
        ] {
            let p = try Process.run(URL(fileURLWithPath: tool), arguments: arguments)
            p.waitUntilExit()
            #expect(p.terminationStatus == 0, "\(tool) failed")
            let head = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + output)).prefix(ContentSniffer.headLength)
            #expect(sniff(Array(head)) == type, "\(output)")
        }
    }

    @Test func shortUnknownAndRandomInputs() {
        #expect(sniff([]) == nil)
        #expect(sniff([0x1F]) == nil, "too short for gzip")
        #expect(sniff(Array("plain text".utf8)) == nil)
        #expect(sniff([UInt8](repeating: 0, count: 300)) == nil)
        var generator = SystemRandomNumberGenerator()
        for n in 0 ..< 2000 {
            let bytes = (0 ..< (n % 300)).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
            _ = sniff(bytes)  // never traps, whatever the length
        }
    }
}
