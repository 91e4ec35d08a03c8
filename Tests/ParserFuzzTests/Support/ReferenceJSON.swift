@testable import GlacierEmulator

/// An RFC 8259 parser written for the tests, producing the emulator's `JSONValue`: strict UTF-8,
/// paired surrogates only, the number grammar exactly, and the nesting limit the emulator's parser
/// documents (fewer than 200 levels). Nil for anything that is not JSON.
struct ReferenceJSON {
    private let b: [UInt8]
    private var i = 0
    private var depth = 0

    static func parse(_ bytes: [UInt8]) -> JSONValue? {
        var p = ReferenceJSON(b: bytes)
        p.space()
        guard let v = p.value() else { return nil }
        p.space()
        return p.i == bytes.count ? v : nil
    }

    private init(b: [UInt8]) { self.b = b }

    private var peek: UInt8? { i < b.count ? b[i] : nil }

    private mutating func space() {
        while let c = peek, c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { i += 1 }
    }

    private mutating func eat(_ c: UInt8) -> Bool {
        guard peek == c else { return false }
        i += 1
        return true
    }

    private mutating func value() -> JSONValue? {
        switch peek {
        case UInt8(ascii: "{")?, UInt8(ascii: "[")?:
            depth += 1
            defer { depth -= 1 }
            guard depth < 200 else { return nil }
            return peek == UInt8(ascii: "{") ? object() : array()
        case UInt8(ascii: "\"")?: return string().map(JSONValue.string)
        case UInt8(ascii: "t")?: return word("true") ? .bool(true) : nil
        case UInt8(ascii: "f")?: return word("false") ? .bool(false) : nil
        case UInt8(ascii: "n")?: return word("null") ? .null : nil
        default: return number().map(JSONValue.number)
        }
    }

    private mutating func word(_ w: String) -> Bool {
        for c in w.utf8 where !eat(c) { return false }
        return true
    }

    private mutating func object() -> JSONValue? {
        i += 1
        var members: [(String, JSONValue)] = []
        space()
        if eat(UInt8(ascii: "}")) { return .object(members) }
        repeat {
            space()
            guard peek == UInt8(ascii: "\""), let key = string() else { return nil }
            space()
            guard eat(UInt8(ascii: ":")) else { return nil }
            space()
            guard let v = value() else { return nil }
            members.append((key, v))
            space()
        } while eat(UInt8(ascii: ","))
        return eat(UInt8(ascii: "}")) ? .object(members) : nil
    }

    private mutating func array() -> JSONValue? {
        i += 1
        var items: [JSONValue] = []
        space()
        if eat(UInt8(ascii: "]")) { return .array(items) }
        repeat {
            space()
            guard let v = value() else { return nil }
            items.append(v)
            space()
        } while eat(UInt8(ascii: ","))
        return eat(UInt8(ascii: "]")) ? .array(items) : nil
    }

    private func isDigit(_ c: UInt8?) -> Bool { c.map { (0x30 ... 0x39).contains($0) } ?? false }

    /// number = [ minus ] int [ frac ] [ exp ]; int = zero / ( digit1-9 *DIGIT )
    private mutating func number() -> String? {
        let start = i
        _ = eat(UInt8(ascii: "-"))
        guard isDigit(peek) else { return nil }
        if !eat(UInt8(ascii: "0")) { while isDigit(peek) { i += 1 } }
        if eat(UInt8(ascii: ".")) {
            guard isDigit(peek) else { return nil }
            while isDigit(peek) { i += 1 }
        }
        if eat(UInt8(ascii: "e")) || eat(UInt8(ascii: "E")) {
            if !eat(UInt8(ascii: "+")) { _ = eat(UInt8(ascii: "-")) }
            guard isDigit(peek) else { return nil }
            while isDigit(peek) { i += 1 }
        }
        return String(decoding: b[start ..< i], as: UTF8.self)
    }

    private mutating func hex4() -> UInt32? {
        guard i + 4 <= b.count else { return nil }
        var v: UInt32 = 0
        for _ in 0 ..< 4 {
            guard let d = UInt32(String(UnicodeScalar(b[i])), radix: 16) else { return nil }
            v = v * 16 + d
            i += 1
        }
        return v
    }

    private mutating func string() -> String? {
        i += 1
        var scalars = String.UnicodeScalarView()
        while let c = peek {
            i += 1
            switch c {
            case UInt8(ascii: "\""): return String(scalars)
            case UInt8(ascii: "\\"):
                guard let e = peek else { return nil }
                i += 1
                let simple: [UInt8: Unicode.Scalar] = [
                    0x22: "\"", 0x5C: "\\", 0x2F: "/", 0x62: "\u{8}", 0x66: "\u{C}",
                    0x6E: "\n", 0x72: "\r", 0x74: "\t",
                ]
                if let s = simple[e] {
                    scalars.append(s)
                } else if e == UInt8(ascii: "u"), let hi = hex4() {
                    var v = hi
                    if (0xD800 ..< 0xDC00).contains(hi) {
                        guard eat(UInt8(ascii: "\\")), eat(UInt8(ascii: "u")), let lo = hex4(),
                            (0xDC00 ..< 0xE000).contains(lo)
                        else {
                            return nil
                        }
                        v = 0x10000 + (hi - 0xD800) << 10 + (lo - 0xDC00)
                    }
                    guard let s = Unicode.Scalar(v) else { return nil }
                    scalars.append(s)
                } else {
                    return nil
                }
            case 0 ..< 0x20: return nil
            case 0 ..< 0x80: scalars.append(Unicode.Scalar(c))
            default:
                // Strict UTF-8: the right number of continuation bytes, no overlong forms, no
                // surrogates, nothing above U+10FFFF.
                let (count, base, minimum): (Int, UInt32, UInt32) =
                    c >= 0xF0 && c <= 0xF4
                    ? (3, UInt32(c & 0x07), 0x10000)
                    : c >= 0xE0 && c <= 0xEF
                        ? (2, UInt32(c & 0x0F), 0x800)
                        : c >= 0xC2 && c <= 0xDF ? (1, UInt32(c & 0x1F), 0x80) : (0, 0, 0)
                guard count > 0, i + count <= b.count else { return nil }
                var v = base
                for k in 0 ..< count {
                    guard b[i + k] & 0xC0 == 0x80 else { return nil }
                    v = v << 6 | UInt32(b[i + k] & 0x3F)
                }
                i += count
                guard v >= minimum, let s = Unicode.Scalar(v) else { return nil }
                scalars.append(s)
            }
        }
        return nil
    }
}
