import ArchiveNames
import Testing

/// RFC 2152's own examples, and the malformations it rules out.
@Suite struct UTF7Tests {
    @Test func rfc2152Examples() {
        #expect(UTF7.decode("Hi Mom -+Jjo--!") == "Hi Mom -\u{263A}-!")
        #expect(UTF7.decode("A+ImIDkQ.") == "A\u{2262}\u{0391}.")
        #expect(UTF7.decode("+ZeVnLIqe-") == "\u{65E5}\u{672C}\u{8A9E}")
        #expect(UTF7.decode("Item 3 is +AKM-1.") == "Item 3 is \u{00A3}1.")
        #expect(UTF7.decode("1 +- 1 = 2") == "1 + 1 = 2")
        #expect(UTF7.decode("plain/ascii_path.txt") == "plain/ascii_path.txt")
    }

    @Test func surrogatePairsAndRunEnds() {
        // U+1F600 is D83D DE00 in UTF-16.
        #expect(UTF7.decode("+2D3eAA-") == "\u{1F600}")
        // A run ends at any byte outside the base64 alphabet, which is then kept.
        #expect(UTF7.decode("+AF8.txt") == "_.txt")
        #expect(UTF7.decode("+AF8-") == "_")
    }

    @Test func malformedInputIsRefused() {
        #expect(UTF7.decode("+F8-") == nil, "12 bits: not a whole UTF-16 unit")
        #expect(UTF7.decode("+") == nil, "an empty run")
        #expect(UTF7.decode("+.") == nil, "an empty run")
        #expect(UTF7.decode("+2D0-") == nil, "an unpaired high surrogate")
        #expect(UTF7.decode("+AF9-") == nil, "non-zero bits left over")
        #expect(UTF7.decode("caf\u{E9}") == nil, "8-bit bytes are not UTF-7")
    }
}
