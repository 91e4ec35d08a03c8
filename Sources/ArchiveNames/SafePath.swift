/// Makes a recorded path safe to show as a file path. The rules, applied per component:
/// - `/` and `\` both separate components; empty and `.` components are dropped, so a leading `/`
///   or `C:\` does not escape the view;
/// - `..` becomes `%2E%2E` (kept visible, never a way up);
/// - a drive letter `C:` becomes the directory `C`;
/// - bytes that are not valid UTF-8, NUL and the other control characters become `%XX` (upper-case
///   hex); a literal `%` is left alone, so the escape is readable rather than strictly reversible;
/// - a component longer than 255 bytes is cut at a character boundary and ends in `~` plus 8 hex
///   digits of a hash of the whole component, so distinct long names stay distinct.
public enum SafePath {
    /// The longest component most filesystems (and FUSE) accept.
    public static let maxComponentBytes = 255

    /// The safe components of `raw`, or nil when nothing usable remains.
    public static func components(of raw: [UInt8]) -> [String]? {
        var result: [String] = []
        var start = 0
        for i in 0 ... raw.count where i == raw.count || raw[i] == UInt8(ascii: "/") || raw[i] == UInt8(ascii: "\\") {
            if let c = component(raw[start ..< i]) { result.append(c) }
            start = i + 1
        }
        return result.isEmpty ? nil : result
    }

    static func component(_ bytes: ArraySlice<UInt8>) -> String? {
        switch bytes.count {
        case 0: return nil
        case 1 where bytes.first == UInt8(ascii: "."): return nil
        case 2 where bytes.elementsEqual("..".utf8): return "%2E%2E"
        case 2 where bytes.last == UInt8(ascii: ":") && isLetter(bytes.first!):
            return String(UnicodeScalar(bytes.first!))
        default: break
        }
        let atoms = escapedAtoms(bytes)
        return fit(atoms, suffix: "")
    }

    /// `base` (atoms joined) plus `suffix`, cut so the whole is at most 255 bytes.
    static func fit(_ atoms: [String], suffix: String) -> String {
        let whole = atoms.joined()
        guard whole.utf8.count + suffix.utf8.count > maxComponentBytes else { return whole + suffix }
        let mark = "~" + hex8(fnv1a(whole.utf8))
        let budget = maxComponentBytes - mark.utf8.count - suffix.utf8.count
        var kept = ""
        var used = 0
        for atom in atoms {
            let n = atom.utf8.count
            guard used + n <= budget else { break }
            kept += atom
            used += n
        }
        return kept + mark + suffix
    }

    /// Adds `suffix` to an already safe component, keeping it within 255 bytes.
    public static func appending(_ suffix: String, to component: String) -> String {
        fit(component.unicodeScalars.map { String($0) }, suffix: suffix)
    }

    /// The component as indivisible pieces: one per character kept, one per `%XX` escape.
    static func escapedAtoms(_ bytes: ArraySlice<UInt8>) -> [String] {
        var atoms: [String] = []
        atoms.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            guard let n = validSequenceLength(bytes, at: i) else {
                atoms.append(escape(bytes[i]))
                i += 1
                continue
            }
            if n == 1 && (bytes[i] < 0x20 || bytes[i] == 0x7F) {
                atoms.append(escape(bytes[i]))
            } else {
                atoms.append(String(decoding: bytes[i ..< i + n], as: UTF8.self))
            }
            i += n
        }
        return atoms
    }

    /// The length of the well-formed UTF-8 sequence at `i` (Unicode table 3-7), or nil.
    static func validSequenceLength(_ b: ArraySlice<UInt8>, at i: Int) -> Int? {
        let b0 = b[i]
        if b0 < 0x80 { return 1 }
        let secondRange: ClosedRange<UInt8>
        let length: Int
        switch b0 {
        case 0xC2 ... 0xDF: (secondRange, length) = (0x80 ... 0xBF, 2)
        case 0xE0: (secondRange, length) = (0xA0 ... 0xBF, 3)
        case 0xE1 ... 0xEC, 0xEE ... 0xEF: (secondRange, length) = (0x80 ... 0xBF, 3)
        case 0xED: (secondRange, length) = (0x80 ... 0x9F, 3)
        case 0xF0: (secondRange, length) = (0x90 ... 0xBF, 4)
        case 0xF1 ... 0xF3: (secondRange, length) = (0x80 ... 0xBF, 4)
        case 0xF4: (secondRange, length) = (0x80 ... 0x8F, 4)
        default: return nil
        }
        guard i + length <= b.endIndex, secondRange.contains(b[i + 1]) else { return nil }
        for k in 2 ..< length where !(0x80 ... 0xBF).contains(b[i + k]) { return nil }
        return length
    }

    static func escape(_ byte: UInt8) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        return String(decoding: [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 15)]], as: UTF8.self)
    }

    static func isLetter(_ b: UInt8) -> Bool {
        (UInt8(ascii: "A") ... UInt8(ascii: "Z")).contains(b) || (UInt8(ascii: "a") ... UInt8(ascii: "z")).contains(b)
    }

    /// FNV-1a, 32-bit: tiny, stable across runs and platforms (Swift's Hasher is seeded per process).
    static func fnv1a<S: Sequence<UInt8>>(_ bytes: S) -> UInt32 {
        var h: UInt32 = 0x811C9DC5
        for b in bytes { h = (h ^ UInt32(b)) &* 0x0100_0193 }
        return h
    }

    static func hex8(_ v: UInt32) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 8 - s.count) + s
    }
}
