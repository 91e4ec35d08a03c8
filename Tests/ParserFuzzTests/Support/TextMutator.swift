/// Random text and mutations of valid text, biased toward what breaks parsers: signs, spaces,
/// separators, digits from other scripts, combining marks, NUL, and numbers at the Int64 edge.
enum TextMutator {
    static let tokens: [String] = [
        "-", "+", " ", "  ", "\t", "0", "9", "/", "*", "=", ",", ":", ";", "#", "[", "]", "\u{0}", "\r", "\n",
        "\r\n", "\u{301}", "\u{663}", "\u{FF11}", "\u{A0}", "\u{2003}", "\u{FEFF}", "e", "x", "bytes", "bytes=",
        "99999999999999999999", "9223372036854775807", "9223372036854775808", "18446744073709551616",
        "999999999999999999", "1000000000000000000", "-1", "\u{FFFD}", "\"", "\\", "%", "%2F", "%zz", "..",
        "\u{1F600}", "\u{7F}", "Z", "T", ".", "{", "}", "null",
    ]

    static func scalar(_ r: inout FuzzRandom) -> Unicode.Scalar {
        switch r.int(0 ..< 10) {
        case 0 ..< 6: return Unicode.Scalar(UInt8(r.int(0x20 ... 0x7E)))
        case 6: return Unicode.Scalar(UInt8(r.int(0 ... 0x1F)))
        case 7: return Unicode.Scalar(UInt32(r.int(0x80 ... 0x7FF)))!
        case 8: return Unicode.Scalar(UInt32(r.int(0xE000 ... 0xFFFD)))!
        default: return Unicode.Scalar(UInt32(r.int(0x10000 ... 0x10FFFF)))!
        }
    }

    static func text(_ r: inout FuzzRandom, maxLength: Int) -> String {
        var s = String.UnicodeScalarView()
        for _ in 0 ..< r.int(0 ... maxLength) {
            if r.oneIn(6) { s.append(contentsOf: r.pick(tokens).unicodeScalars) } else { s.append(scalar(&r)) }
        }
        return String(s)
    }

    /// Applies 1…`rounds` random edits at the scalar level.
    static func mutate(_ input: String, _ r: inout FuzzRandom, rounds: Int = 3) -> String {
        var s = Array(input.unicodeScalars)
        for _ in 0 ..< r.int(1 ... rounds) {
            let at = r.int(0 ... s.count)
            switch r.int(0 ..< 8) {
            case 0: if at < s.count { s.remove(at: at) }
            case 1, 2: s.insert(contentsOf: r.pick(tokens).unicodeScalars, at: at)
            case 3: if at < s.count { s[at] = scalar(&r) }
            case 4:
                let end = r.int(at ... s.count)
                s.insert(contentsOf: s[at ..< end], at: r.int(0 ... s.count))
            case 5: s.removeSubrange(at...)
            case 6: s.insert(scalar(&r), at: at)
            default:
                if s.count > 1 { s.swapAt(r.int(0 ..< s.count), r.int(0 ..< s.count)) }
            }
        }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: s)
        return String(view)
    }

    /// A decimal number written any way a server might: every magnitude, leading zeros, and the
    /// numbers on either side of Int64.max.
    static func decimal(_ r: inout FuzzRandom) -> String {
        switch r.int(0 ..< 10) {
        case 0:
            return r.pick([
                "9223372036854775807", "9223372036854775808", "18446744073709551615",
                "99999999999999999999", "999999999999999999", "1000000000000000000",
                "0000000000000000001", "000000000000000001", "0",
            ])
        case 1: return String(repeating: "0", count: r.int(1 ... 3)) + String(r.magnitude(maxBits: 40))
        case 2: return String(r.magnitude(maxBits: 64))
        case 3: return String(r.int64(0 ... 64) << 20)
        case 4: return String((r.int64(1 ... 64) << 20) - 1)
        default: return String(r.magnitude(maxBits: 36))
        }
    }
}

/// Strict decimal as the byte-range grammar has it: 1…18 ASCII digits (18 digits can never
/// overflow Int64, and nothing larger is a real size). Nil for anything else.
func referenceDecimal(_ bytes: some Collection<UInt8>) -> Int64? {
    guard (1 ... 18).contains(bytes.count) else { return nil }
    var v: Int64 = 0
    for b in bytes {
        guard (0x30 ... 0x39).contains(b) else { return nil }
        v = v * 10 + Int64(b - 0x30)
    }
    return v
}

/// `S-E` with S ≤ E, cut at the first `-` byte.
func referenceRange(_ bytes: some Collection<UInt8>) -> (first: Int64, last: Int64)? {
    let b = Array(bytes)
    guard let dash = b.firstIndex(of: 0x2D), let s = referenceDecimal(b[..<dash]),
        let e = referenceDecimal(b[(dash + 1)...]), s <= e
    else { return nil }
    return (s, e)
}

/// `Content-Range: bytes S-E/T` (T may be `*`; T > E), after optional leading spaces.
func referenceContentRange(_ text: String) -> (first: Int64, last: Int64, total: Int64?)? {
    var b = Array(text.utf8)[...]
    while b.first == 0x20 { b = b.dropFirst() }
    guard b.starts(with: "bytes ".utf8) else { return nil }
    let rest = b.dropFirst(6)
    guard let slash = rest.firstIndex(of: 0x2F), let range = referenceRange(rest[..<slash]) else { return nil }
    let tail = rest[(slash + 1)...]
    if tail.elementsEqual("*".utf8) { return (range.first, range.last, nil) }
    guard let t = referenceDecimal(tail), t > range.last else { return nil }
    return (range.first, range.last, t)
}
