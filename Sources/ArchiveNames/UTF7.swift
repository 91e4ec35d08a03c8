/// UTF-7 (RFC 2152) decoding, which CloudBerry uses for paths. Foundation on Linux has no UTF-7.
///
/// Outside a shifted run bytes stand for themselves; `+` starts a run of modified base64 (no
/// padding) encoding UTF-16, ended by `-` (which is then dropped) or by any other non-base64
/// byte; `+-` is a literal `+`.
public enum UTF7 {
    private static let table: [Int8] = {
        var t = [Int8](repeating: -1, count: 256)
        for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            t[Int(c)] = Int8(i)
        }
        return t
    }()

    /// The decoded text, or nil when `text` is not valid UTF-7: a byte above 0x7F, a run that leaves
    /// six or more bits or non-zero bits over, or UTF-16 with an unpaired surrogate.
    public static func decode<S: StringProtocol>(_ text: S) -> String? {
        let bytes = Array(text.utf8)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            guard c < 0x80 else { return nil }
            guard c == UInt8(ascii: "+") else {
                out.append(Unicode.Scalar(c))
                i += 1
                continue
            }
            i += 1
            if i < bytes.count && bytes[i] == UInt8(ascii: "-") {
                out.append("+")
                i += 1
                continue
            }
            var units: [UInt16] = []
            var acc: UInt32 = 0
            var bits = 0
            while i < bytes.count, table[Int(bytes[i])] >= 0 {
                acc = (acc << 6) | UInt32(table[Int(bytes[i])])
                bits += 6
                if bits >= 16 {
                    bits -= 16
                    units.append(UInt16(truncatingIfNeeded: acc >> UInt32(bits)))
                    acc &= (1 << UInt32(bits)) - 1
                }
                i += 1
            }
            // RFC 2152: the bits left over must be fewer than six and all zero; an empty run is malformed.
            guard bits < 6, acc == 0, !units.isEmpty else { return nil }
            guard let scalars = scalars(of: units) else { return nil }
            out.append(contentsOf: scalars)
            if i < bytes.count && bytes[i] == UInt8(ascii: "-") { i += 1 }
        }
        return String(out)
    }

    /// The UTF-16 units as scalars, or nil when a surrogate is unpaired.
    private static func scalars(of units: [UInt16]) -> [Unicode.Scalar]? {
        var parser = Unicode.UTF16.ForwardParser()
        var it = units.makeIterator()
        var out: [Unicode.Scalar] = []
        while true {
            switch parser.parseScalar(from: &it) {
            case .valid(let encoded): out.append(UTF16.decode(encoded))
            case .emptyInput: return out
            case .error: return nil
            }
        }
    }
}
