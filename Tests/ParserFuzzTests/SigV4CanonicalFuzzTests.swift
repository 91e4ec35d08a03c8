import Testing

@testable import AWSSigning

/// SigV4's canonical forms against byte-level references written from the SigV4 documentation:
/// encode every byte but A–Z a–z 0–9 - _ . ~ as %XX (upper case); decode %XX; sort the query
/// by name, then value; trim header values and collapse runs of white space.
@Suite struct SigV4CanonicalFuzzTests {
    static func isUnreserved(_ b: UInt8) -> Bool {
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~".utf8.contains(b)
    }

    static func referenceEncode(_ s: String, keepSlash: Bool = false) -> String {
        var out = ""
        for b in s.utf8 {
            if isUnreserved(b) || (keepSlash && b == 0x2F) {
                out.unicodeScalars.append(Unicode.Scalar(b))
            } else {
                out += "%" + String(b, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    static func referenceDecode(_ s: some StringProtocol) -> String {
        String(decoding: referenceDecodeBytes(Array(s.utf8)), as: UTF8.self)
    }

    /// Decoding at the byte level: an escape of a byte that is not valid UTF-8 stays that byte.
    static func referenceDecodeBytes(_ b: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while i < b.count {
            if b[i] == 0x25, i + 2 < b.count,
                let v = UInt8(String(decoding: b[i + 1 ... i + 2], as: UTF8.self), radix: 16),
                b[i + 1 ... i + 2].allSatisfy({ $0 != 0x2B && $0 != 0x2D })
            {  // UInt8(radix:) would take a sign
                out.append(v)
                i += 3
            } else {
                out.append(b[i])
                i += 1
            }
        }
        return out
    }

    /// Text that is often made of unreserved characters and escapes, and sometimes of anything.
    static func component(_ r: inout FuzzRandom) -> String {
        switch r.int(0 ..< 4) {
        case 0:
            return String(
                decoding: (0 ..< r.int(0 ... 12)).map { _ in r.pick(Array("abcXYZ019-_.~".utf8)) }, as: UTF8.self)
        case 1: return TextMutator.mutate("a%2Fb%zz%4", &r)
        default: return TextMutator.text(&r, maxLength: 12)
        }
    }

    @Test func uriEncodeAndPercentDecode() {
        fuzz("SigV4Canonical.uriEncode/percentDecode") { r, run in
            let text = r.bool() ? TextMutator.text(&r, maxLength: 40) : TextMutator.mutate("%41%2f%%4%gg/a b+c~", &r)
            let keepSlash = r.bool()
            let encoded = SigV4Canonical.uriEncode(text, keepSlash: keepSlash)
            run.expect(
                encoded == Self.referenceEncode(text, keepSlash: keepSlash),
                "\(show(text)) keepSlash \(keepSlash): \(encoded), reference \(Self.referenceEncode(text, keepSlash: keepSlash))"
            )
            run.expect(SigV4Canonical.percentDecode(encoded[...]) == text, "\(show(text)): decode(encode) differs")
            let decoded = SigV4Canonical.percentDecode(text[...])
            run.expect(
                decoded == Self.referenceDecode(text),
                "\(show(text)): decoded \(show(decoded)), reference \(show(Self.referenceDecode(text)))")
            // Unreserved text is its own encoding and its own decoding.
            let plain = String(decoding: text.utf8.filter { Self.isUnreserved($0) }, as: UTF8.self)
            run.expect(
                SigV4Canonical.uriEncode(plain) == plain && SigV4Canonical.percentDecode(plain[...]) == plain,
                "unreserved \(show(plain)) changed")
        }
    }

    /// SigV4 works on bytes: a parameter is split at the first "=" byte, decoded to bytes and
    /// re-encoded byte by byte, so no byte is lost to a Unicode replacement character.
    static func referenceQuery(_ query: String) -> String {
        func encodeBytes(_ bytes: [UInt8]) -> [UInt8] {
            bytes.flatMap { b in
                isUnreserved(b) ? [b] : Array(("%" + String(b, radix: 16, uppercase: true).leftPadded(to: 2)).utf8)
            }
        }
        var pairs: [([UInt8], [UInt8])] = []
        for component in query.utf8.split(separator: 0x26, omittingEmptySubsequences: true) {
            let bytes = Array(component)
            let eq = bytes.firstIndex(of: 0x3D)
            let name = eq.map { Array(bytes[..<$0]) } ?? bytes
            let value = eq.map { Array(bytes[($0 + 1)...]) } ?? []
            pairs.append((encodeBytes(referenceDecodeBytes(name)), encodeBytes(referenceDecodeBytes(value))))
        }
        pairs.sort { $0.0 != $1.0 ? $0.0.lexicographicallyPrecedes($1.0) : $0.1.lexicographicallyPrecedes($1.1) }
        return pairs.map { String(decoding: $0.0, as: UTF8.self) + "=" + String(decoding: $0.1, as: UTF8.self) }
            .joined(separator: "&")
    }

    @Test func canonicalQueryIsOrderIndependent() {
        fuzz("SigV4Canonical.canonicalQuery") { r, run in
            var components: [String] = []
            for _ in 0 ..< r.int(0 ... 6) {
                let name = Self.component(&r).replacingOccurrences(of: "&", with: "%26")
                switch r.int(0 ..< 5) {
                case 0: components.append(name)
                case 1: components.append("")
                default: components.append(name + "=" + Self.component(&r).replacingOccurrences(of: "&", with: ""))
                }
            }
            if r.oneIn(4), let first = components.first { components.append(first) }  // a repeated parameter
            let query = components.joined(separator: "&")
            var shuffled = components
            r.shuffle(&shuffled)
            let canonical = SigV4Canonical.canonicalQuery(query)
            run.expect(
                canonical == SigV4Canonical.canonicalQuery(shuffled.joined(separator: "&")),
                "\(show(query)) and its shuffle \(show(shuffled.joined(separator: "&"))) differ")
            run.expect(
                canonical == Self.referenceQuery(query),
                "\(show(query)): \(show(canonical)), reference \(show(Self.referenceQuery(query)))")
        }
    }

    @Test func canonicalURIIsNormalized() {
        fuzz("SigV4Canonical.canonicalURI") { r, run in
            var path = ""
            for _ in 0 ..< r.int(0 ... 8) {
                path +=
                    r.pick(["/", "//", "/.", "/..", "/./", "/../", "/a", "/b%2F", "/%2e%2e"])
                    + (r.oneIn(3) ? Self.component(&r) : "")
            }
            if r.oneIn(4) { path = TextMutator.mutate(path, &r) }
            let uri = SigV4Canonical.canonicalURI(path: path)
            let b = Array(uri.utf8)
            let segments = uri.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
            run.expect(b.first == 0x2F, "\(show(path)): \(show(uri)) does not start with /")
            run.expect(!uri.contains("//"), "\(show(path)): \(show(uri)) has an empty segment")
            run.expect(
                !segments.contains(".") && !segments.contains(".."), "\(show(path)): \(show(uri)) keeps a dot segment")
            var i = 0, wellFormed = true
            while i < b.count {
                if b[i] == 0x25 {
                    wellFormed =
                        wellFormed && i + 2 < b.count
                        && b[i + 1 ... i + 2].allSatisfy { "0123456789ABCDEF".utf8.contains($0) }
                    i += 3
                } else {
                    wellFormed = wellFormed && (Self.isUnreserved(b[i]) || b[i] == 0x2F)
                    i += 1
                }
            }
            run.expect(wellFormed, "\(show(path)): \(show(uri)) has a character that should have been encoded")
            // Normalizing twice changes nothing more.
            let normalized = SigV4Canonical.normalizePath(path)
            run.expect(
                SigV4Canonical.normalizePath(normalized) == normalized, "\(show(path)): normalization is not idempotent"
            )
        }
    }

    /// AWS's Trimall on a scalar alphabet where white space is SP, HT, LF and CR.
    static func referenceTrimAll(_ s: String) -> String {
        let space: Set<Unicode.Scalar> = [" ", "\t", "\n", "\r"]
        var out = String.UnicodeScalarView()
        var pending = false
        for c in s.unicodeScalars {
            if space.contains(c) {
                pending = !out.isEmpty
            } else {
                if pending { out.append(" ") }
                pending = false
                out.append(c)
            }
        }
        return String(out)
    }

    @Test func canonicalHeaderValueTrimsAndCollapses() {
        fuzz("SigV4Canonical.canonicalHeaderValue") { r, run in
            let alphabet: [String] = ["a", "b", "é", "/", ",", " ", " ", "\t", "\n", "\r"]
            let value = (0 ..< r.int(0 ... 16)).map { _ in r.pick(alphabet) }.joined()
            let got = SigV4Canonical.canonicalHeaderValue(value)
            run.expect(
                got == Self.referenceTrimAll(value),
                "\(show(value)): \(show(got)), reference \(show(Self.referenceTrimAll(value)))")
            _ = SigV4Canonical.canonicalHeaderValue(TextMutator.text(&r, maxLength: 30))  // anything: no trap
        }
    }

    @Test func canonicalHeadersNeedEveryNamedHeader() {
        fuzz("SigV4Canonical.canonicalHeaders") { r, run in
            let names = ["Host", "host", "X-Amz-Date", "x-amz-date", "Content-Type", "X-Amz-Glacier-Version", "Range"]
            var headers: [(name: String, value: String)] = []
            for _ in 0 ..< r.int(0 ... 6) {
                headers.append(
                    (r.pick(names), (0 ..< r.int(0 ... 6)).map { _ in r.pick(["v", "1", " ", "\t", ","]) }.joined()))
            }
            let wanted = (0 ..< r.int(0 ... 4)).map { _ in r.pick(names) }
            let got = SigV4Canonical.canonicalHeaders(headers, names: wanted)
            let lowerWanted = Set(wanted.map { $0.lowercased() }).sorted {
                Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8))
            }
            var block = ""
            var complete = true
            for name in lowerWanted {
                let values = headers.filter { $0.name.lowercased() == name }.map { Self.referenceTrimAll($0.value) }
                if values.isEmpty { complete = false }
                block += "\(name):\(values.joined(separator: ","))\n"
            }
            let what = "headers \(headers.map { "\($0.name)=\(show($0.value))" }) names \(wanted)"
            if got == nil { run.reject() }
            run.expect((got == nil) == !complete, "\(what): \(got == nil ? "refused" : "accepted")")
            if let got, complete {
                run.expect(
                    got.block == block && got.signedHeaders == lowerWanted.joined(separator: ";"),
                    "\(what): \(show(got.block)) \(got.signedHeaders), reference \(show(block))")
            }
            _ = SigV4Canonical.canonicalHeaders(
                [(TextMutator.text(&r, maxLength: 8), TextMutator.text(&r, maxLength: 20))],
                names: [TextMutator.text(&r, maxLength: 8)])
        }
    }
}
