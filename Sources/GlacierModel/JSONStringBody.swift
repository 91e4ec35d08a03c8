/// The body of a JSON string (the bytes between its quotes, RFC 8259 §7), decoded in one place for
/// every JSON reader in the project: the emulator's parser, the streaming inventory parser and the
/// description decoders.
public enum JSONStringBody {
    public struct Problem: Error, Sendable {
        /// Offset within the body.
        public let offset: Int
        public let reason: String
    }

    /// The index of the quote that closes a string whose body starts at `start`, or nil if none does.
    public static func closingQuote(in bytes: [UInt8], from start: Int) -> Int? {
        var i = start
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "\""): return i
            case UInt8(ascii: "\\"): i += 2
            default: i += 1
            }
        }
        return nil
    }

    /// The body's bytes with every escape decoded (UTF-8 for `\u`); not checked to be valid UTF-8.
    public static func unescape(_ body: ArraySlice<UInt8>) throws(Problem) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(body.count)
        var i = body.startIndex
        func fail(_ reason: String) -> Problem { Problem(offset: i - body.startIndex, reason: reason) }
        func hex4() throws(Problem) -> UInt32 {
            guard i + 4 <= body.endIndex else { throw fail("short \\u escape") }
            var v: UInt32 = 0
            for _ in 0 ..< 4 {
                let c = body[i]
                i += 1
                let d: UInt32
                switch c {
                case 0x30 ... 0x39: d = UInt32(c - 0x30)
                case 0x41 ... 0x46: d = UInt32(c - 0x41 + 10)
                case 0x61 ... 0x66: d = UInt32(c - 0x61 + 10)
                default: throw fail("invalid hex digit")
                }
                v = v << 4 | d
            }
            return v
        }
        while i < body.endIndex {
            let c = body[i]
            i += 1
            switch c {
            case UInt8(ascii: "\\"):
                guard i < body.endIndex else { throw fail("unexpected end in an escape") }
                let e = body[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0c)
                case UInt8(ascii: "n"): out.append(0x0a)
                case UInt8(ascii: "r"): out.append(0x0d)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800 ..< 0xDC00).contains(scalar), i + 1 < body.endIndex, body[i] == UInt8(ascii: "\\"),
                        body[i + 1] == UInt8(ascii: "u")
                    {
                        i += 2
                        let low = try hex4()
                        guard (0xDC00 ..< 0xE000).contains(low) else { throw fail("invalid surrogate pair") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw fail("invalid \\u escape") }
                    out.append(contentsOf: Array(String(Character(u)).utf8))
                default: throw fail("invalid escape")
                }
            case 0 ..< 0x20: throw fail("control character in a string")
            default: out.append(c)
            }
        }
        return out
    }
}
