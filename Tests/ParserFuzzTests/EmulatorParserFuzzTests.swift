import Testing

@testable import GlacierEmulator
@testable import GlacierModel

/// The emulator's Range header and JSON parsers against references written from RFC 9110 §14
/// and RFC 8259.
@Suite struct EmulatorParserFuzzTests {
    enum Expected: Equatable {
        case invalid
        case unsatisfiable
        case range(Int64, Int64)
    }

    /// RFC 9110 single byte range: `bytes=S-E`, `bytes=S-` or `bytes=-N`, clamped to the output.
    static func referenceRange(_ text: String, size: Int64) -> Expected {
        var b = Array(text.utf8)[...]
        while let c = b.first, c == 0x20 || c == 0x09 { b = b.dropFirst() }
        while let c = b.last, c == 0x20 || c == 0x09 { b = b.dropLast() }
        guard b.starts(with: "bytes=".utf8), !b.contains(0x2C) else { return .invalid }
        let spec = b.dropFirst(6)
        guard let dash = spec.firstIndex(of: 0x2D) else { return .invalid }
        let left = spec[..<dash], right = spec[(dash + 1)...]
        if left.isEmpty && right.isEmpty { return .invalid }
        let first = left.isEmpty ? nil : referenceDecimal(left)
        let last = right.isEmpty ? nil : referenceDecimal(right)
        if (!left.isEmpty && first == nil) || (!right.isEmpty && last == nil) { return .invalid }
        if let first, let last, last < first { return .invalid }
        if let first {
            return first < size ? .range(first, min(last ?? size - 1, size - 1)) : .unsatisfiable
        }
        let n = last!
        return n > 0 && size > 0 ? .range(max(0, size - n), size - 1) : .unsatisfiable
    }

    static func rangeText(_ r: inout FuzzRandom, size: Int64) -> String {
        let near = [0, 1, size - 1, size, size + 1, r.int64(0 ... max(0, size))].map { String(max(0, $0)) }
        let a = r.bool() ? r.pick(near) : TextMutator.decimal(&r)
        let b = r.bool() ? r.pick(near) : TextMutator.decimal(&r)
        let spec = [a + "-" + b, a + "-", "-" + b, "-", a + "-" + b + "," + a + "-"][r.int(0 ..< 5)]
        let text = (r.oneIn(6) ? " " : "") + "bytes=" + spec + (r.oneIn(6) ? "\t" : "")
        return r.bool() ? text : TextMutator.mutate(text, &r)
    }

    @Test func rangeHeader() {
        fuzz("RangeHeader.resolve") { r, run in
            let size = r.oneIn(8) ? 0 : SizeGenerator.size(&r)
            let text = Self.rangeText(&r, size: size)
            let expected = Self.referenceRange(text, size: size)
            let got: Expected
            do throws(ServiceError) {
                switch try RangeHeader.resolve(text, size: size) {
                case .satisfiable(let range): got = .range(range.first, range.last)
                case .unsatisfiable: got = .unsatisfiable
                }
            } catch {
                got = .invalid
                run.expect(
                    error.code == GlacierErrorCode.invalidParameterValue && error.status.code == 400,
                    "\(show(text)): threw \(error.code)")
            }
            if got != expected { run.expect(false, "\(show(text)) for size \(size): \(got), reference \(expected)") }
            if case .range = got {} else { run.reject() }
        }
    }

    /// A JSON value with every kind of string, number and nesting the grammar allows.
    static func value(_ r: inout FuzzRandom, depth: Int) -> JSONValue {
        switch r.int(0 ..< (depth > 4 ? 5 : 8)) {
        case 0: return .null
        case 1: return .bool(r.bool())
        case 2:
            return .number(
                r.pick([
                    "0", "-0", "1", "-1", "0.5", "1e400", "-2.5E-3", "99999999999999999999",
                    "9223372036854775807", "1E+2", String(r.magnitude(maxBits: 63)),
                ]))
        case 3, 4: return .string(TextMutator.text(&r, maxLength: 12))
        case 5: return .array((0 ..< r.int(0 ... 4)).map { _ in value(&r, depth: depth + 1) })
        default:
            return .object(
                (0 ..< r.int(0 ... 4)).map { _ in (TextMutator.text(&r, maxLength: 6), value(&r, depth: depth + 1)) })
        }
    }

    @Test func jsonRoundTrip() {
        fuzz("JSONParser round trip") { r, run in
            let v = Self.value(&r, depth: 0)
            let text = v.serialized()
            do {
                let parsed = try JSONParser.parse(Array(text.utf8))
                run.expect(parsed == v, "\(show(text)) parsed to \(parsed.serialized())")
            } catch {
                run.reject()
                run.expect(false, "\(show(text)) of a valid value rejected: \(error)")
            }
            run.expect(ReferenceJSON.parse(Array(text.utf8)) == v, "\(show(text)): the serializer wrote invalid JSON")
        }
    }

    /// Byte-level mutations: flips, structural characters, invalid UTF-8, truncation.
    static func mutate(_ bytes: [UInt8], _ r: inout FuzzRandom) -> [UInt8] {
        var b = bytes
        for _ in 0 ..< r.int(1 ... 4) {
            let at = r.int(0 ... b.count)
            switch r.int(0 ..< 7) {
            case 0: if at < b.count { b[at] ^= UInt8(1) << UInt8(r.int(0 ... 7)) }
            case 1:
                b.insert(
                    contentsOf: Array(
                        r.pick([
                            "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u", "\\uD800",
                            "\\uDC00", "-", "0", "e", ".", " ", "null", "tru",
                        ]).utf8), at: at)
            case 2: b.insert(r.pick([0x00, 0x1F, 0x7F, 0x80, 0xBF, 0xC0, 0xC1, 0xE0, 0xED, 0xF4, 0xF5, 0xFF]), at: at)
            case 3: if at < b.count { b.remove(at: at) }
            case 4: b.removeSubrange(at...)
            case 5:
                b.insert(
                    contentsOf: [UInt8](repeating: UInt8(ascii: r.bool() ? "[" : "{"), count: r.int(1 ... 220)), at: at)
            default: b.insert(contentsOf: r.bytes(r.int(1 ... 3)), at: at)
            }
        }
        return b
    }

    @Test func jsonMutationsThrowOrParseLikeReference() {
        fuzz("JSONParser mutations") { r, run in
            let input = Self.mutate(Array(Self.value(&r, depth: 0).serialized().utf8), &r)
            let expected = ReferenceJSON.parse(input)
            do {
                let parsed = try JSONParser.parse(input)
                run.expect(
                    expected == parsed,
                    "\(show(input)) accepted as \(parsed.serialized()), reference \(expected.map { $0.serialized() } ?? "rejects it")"
                )
                // Whatever it accepts must print back to text it reads the same.
                run.expect(
                    (try? JSONParser.parse(Array(parsed.serialized().utf8))) == parsed,
                    "\(show(input)): does not re-parse")
            } catch {
                run.reject()
                run.expect(expected == nil, "\(show(input)) rejected (\(error)), reference \(expected!.serialized())")
            }
        }
    }
}
