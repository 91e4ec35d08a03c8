import ArchiveNames
import Testing

@Suite struct SafePathTests {
    func safe(_ s: String) -> [String]? { SafePath.components(of: Array(s.utf8)) }

    @Test func separatorsDotsAndDriveLetters() {
        #expect(safe("a/b\\c") == ["a", "b", "c"])
        #expect(safe("/abs//x/./y/") == ["abs", "x", "y"])
        #expect(safe("C:\\Users\\me\\file.txt") == ["C", "Users", "me", "file.txt"])
        #expect(safe("..") == ["%2E%2E"])
        #expect(safe("a/../b") == ["a", "%2E%2E", "b"])
        #expect(safe("...") == ["..."])
        #expect(safe("CC:/x") == ["CC:", "x"], "only a single letter is a drive")
        #expect(safe("") == nil)
        #expect(safe("/./\\") == nil)
    }

    @Test func controlCharactersAndInvalidUTF8AreEscaped() {
        #expect(SafePath.components(of: [0x61, 0x00, 0x62]) == ["a%00b"])
        #expect(safe("tab\there\u{7F}") == ["tab%09here%7F"])
        #expect(safe("100% ünïcödé ✓ 😀") == ["100% ünïcödé ✓ 😀"], "valid UTF-8 and a literal % stay")
        // Lone continuation, overlong "/", a surrogate in UTF-8, a truncated sequence.
        #expect(SafePath.components(of: [0x80]) == ["%80"])
        #expect(SafePath.components(of: [0xC0, 0xAF]) == ["%C0%AF"])
        #expect(SafePath.components(of: [0xED, 0xA0, 0x80]) == ["%ED%A0%80"])
        #expect(SafePath.components(of: [0x61, 0xE2, 0x82]) == ["a%E2%82"])
    }

    @Test func longComponentsAreCutWithAHashAndStayDistinct() {
        let a = String(repeating: "a", count: 300)
        let b = String(repeating: "a", count: 299) + "b"
        let ca = safe(a)![0], cb = safe(b)![0]
        #expect(ca.utf8.count == 255)
        #expect(cb.utf8.count == 255)
        #expect(ca != cb)
        #expect(ca.hasPrefix(String(repeating: "a", count: 200)))
        // Never cut inside a character or an escape.
        let wide = safe(String(repeating: "é", count: 200))![0]
        #expect(wide.utf8.count <= 255)
        #expect(wide.hasPrefix(String(repeating: "é", count: 100)))
        let escapes = SafePath.components(of: [UInt8](repeating: 0xFF, count: 200))![0]
        #expect(escapes.utf8.count <= 255)
        #expect(escapes.split(separator: "~")[0].count % 3 == 0)
        #expect(safe(String(repeating: "x", count: 255))![0] == String(repeating: "x", count: 255), "255 is allowed")
    }

    @Test func appendingKeepsWithinTheLimit() {
        let long = String(repeating: "z", count: 255)
        let s = SafePath.appending("~20200101T000000Z~abcdefgh", to: long)
        #expect(s.utf8.count == 255)
        #expect(s.hasSuffix("~20200101T000000Z~abcdefgh"))
        #expect(SafePath.appending("~x", to: "name.txt") == "name.txt~x")
    }
}
