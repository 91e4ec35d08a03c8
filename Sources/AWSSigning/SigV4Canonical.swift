/// The canonical forms that SigV4 hashes, as the AWS test suite defines them.
public enum SigV4Canonical {
    // Everything here works on UTF-8 bytes: as Characters, "&", "/" or "\r\n" followed by a
    // combining mark would not match themselves.

    /// Percent-encodes every byte except RFC 3986 unreserved characters (and `/` when asked).
    public static func uriEncode(_ s: String, keepSlash: Bool = false) -> String {
        String(decoding: encode(s.utf8, keepSlash: keepSlash), as: UTF8.self)
    }

    static func encode(_ bytes: some Sequence<UInt8>, keepSlash: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        let hex = Array("0123456789ABCDEF".utf8)
        for b in bytes {
            if isUnreserved(b) || (keepSlash && b == slash) {
                out.append(b)
            } else {
                out += [UInt8(ascii: "%"), hex[Int(b >> 4)], hex[Int(b & 0xf)]]
            }
        }
        return out
    }

    /// Decodes `%XX` escapes; malformed escapes are kept literally, as servers do.
    public static func percentDecode(_ s: Substring) -> String {
        String(decoding: decode(Array(s.utf8)[...]), as: UTF8.self)
    }

    static func decode(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        var i = bytes.startIndex
        while i < bytes.endIndex {
            if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.endIndex,
                let hi = hexValue(bytes[i + 1]), let lo = hexValue(bytes[i + 2])
            {
                out.append(hi << 4 | lo)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }

    /// The canonical URI: dot segments and repeated slashes removed, then every byte that is not
    /// unreserved encoded (so an escape already on the wire is encoded again, as non-S3 services
    /// expect).
    public static func canonicalURI(path: String) -> String {
        let normalized = normalizePath(path.isEmpty ? "/" : path)
        return uriEncode(normalized, keepSlash: true)
    }

    static func normalizePath(_ path: String) -> String {
        let bytes = Array(path.utf8)
        let pieces = bytes.split(separator: slash, omittingEmptySubsequences: false)
        let dot: [UInt8] = [0x2e], dotDot: [UInt8] = [0x2e, 0x2e]
        var segments: [ArraySlice<UInt8>] = []
        for piece in pieces where !piece.isEmpty {
            if piece.elementsEqual(dot) { continue }
            if piece.elementsEqual(dotDot) {
                if !segments.isEmpty { segments.removeLast() }
                continue
            }
            segments.append(piece)
        }
        let last = pieces.last ?? []
        let trailingSlash = bytes.last == slash || last.elementsEqual(dot) || last.elementsEqual(dotDot)
        var out: [UInt8] = [slash]
        out += segments.joined(separator: [slash])
        if trailingSlash && !segments.isEmpty { out.append(slash) }
        return String(decoding: out, as: UTF8.self)
    }

    /// The canonical query: every parameter decoded, re-encoded strictly, and sorted by name
    /// then value.
    public static func canonicalQuery(_ query: String) -> String {
        var pairs: [([UInt8], [UInt8])] = []
        for component in Array(query.utf8).split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let equals = component.firstIndex(of: UInt8(ascii: "="))
            let name = equals.map { component[..<$0] } ?? component
            let value = equals.map { component[($0 + 1)...] } ?? []
            pairs.append((encode(decode(name)), encode(decode(value))))
        }
        pairs.sort { a, b in a.0 != b.0 ? a.0.lexicographicallyPrecedes(b.0) : a.1.lexicographicallyPrecedes(b.1) }
        let joined = pairs.map { $0.0 + [UInt8(ascii: "=")] + $0.1 }.joined(separator: [UInt8(ascii: "&")])
        return String(decoding: Array(joined), as: UTF8.self)
    }

    /// A header value trimmed, with each run of spaces, tabs and line breaks collapsed to one space.
    public static func canonicalHeaderValue(_ value: String) -> String {
        var out: [UInt8] = []
        var pendingSpace = false
        for b in value.utf8 {
            if isSpace(b) {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(0x20) }
                pendingSpace = false
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0a || b == 0x0d }
    static let slash = UInt8(ascii: "/")

    /// The canonical headers block and the signed-headers list for the named headers.
    /// Returns nil when a header named in `names` is absent.
    public static func canonicalHeaders(
        _ headers: [(name: String, value: String)], names: [String]
    )
        -> (block: String, signedHeaders: String)?
    {
        var grouped: [String: [String]] = [:]
        for (name, value) in headers {
            grouped[name.lowercased(), default: []].append(canonicalHeaderValue(value))
        }
        let sortedNames = Set(names.map { $0.lowercased() }).sorted()
        var block = ""
        for name in sortedNames {
            guard let values = grouped[name] else { return nil }
            block += "\(name):\(values.joined(separator: ","))\n"
        }
        return (block, sortedNames.joined(separator: ";"))
    }

    private static func isUnreserved(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39)
            || b == UInt8(ascii: "-") || b == UInt8(ascii: "_") || b == UInt8(ascii: ".") || b == UInt8(ascii: "~")
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30 ... 0x39: c - 0x30
        case 0x41 ... 0x46: c - 0x41 + 10
        case 0x61 ... 0x66: c - 0x61 + 10
        default: nil
        }
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs and line breaks (byte-wise).
    var trimmingSpaces: String {
        var bytes = Array(utf8)[...]
        while let first = bytes.first, SigV4Canonical.isSpace(first) { bytes = bytes.dropFirst() }
        while let last = bytes.last, SigV4Canonical.isSpace(last) { bytes = bytes.dropLast() }
        return String(decoding: bytes, as: UTF8.self)
    }
}
