import Testing

@testable import GlacierModel

/// The byte-range grammars of GlacierModel against the byte-level reference parsers of
/// `TextMutator.swift`: every input is either accepted with exactly the reference's values (and
/// prints back to something that parses the same) or rejected; nothing traps.
@Suite struct ByteRangeParserFuzzTests {
    static let mib: Int64 = 1 << 20

    static func rangeText(_ r: inout FuzzRandom) -> String {
        let text = "\(TextMutator.decimal(&r))-\(TextMutator.decimal(&r))"
        return r.bool() ? text : TextMutator.mutate(text, &r)
    }

    @Test func inclusiveByteRange() {
        fuzz("InclusiveByteRange") { r, run in
            let text = Self.rangeText(&r)
            let got = InclusiveByteRange(text)
            let expected = referenceRange(text.utf8)
            guard let got else {
                run.reject()
                run.expect(expected == nil, "\(show(text)) rejected, reference \(String(describing: expected))")
                return
            }
            run.expect(
                expected.map { $0 == (got.first, got.last) } ?? false,
                "\(show(text)) parsed as \(got.first)-\(got.last), reference \(String(describing: expected))")
            run.expect(
                got.description == "\(got.first)-\(got.last)" && InclusiveByteRange(got.description) == got,
                "\(show(text)): \(got.description) does not round-trip")
            run.expect(
                got.length == got.last - got.first + 1 && got.halfOpen.count == Int(got.length),
                "\(show(text)): length \(got.length)")
        }
    }

    static func contentRangeText(_ r: inout FuzzRandom) -> String {
        let s = r.bool() ? r.int64(0 ... 1 << 40) : min(1 << 60, Int64(TextMutator.decimal(&r)) ?? 0)
        let e = r.oneIn(5) ? s - r.int64(0 ... 2) : s + r.int64(0 ... 1 << 36)
        let total: String
        switch r.int(0 ..< 6) {
        case 0: total = "*"
        case 1: total = String(e)
        case 2: total = TextMutator.decimal(&r)
        default: total = String(e + r.int64(1 ... 1 << 30))
        }
        let text = "\(r.oneIn(8) ? " " : "")bytes \(s)-\(e)/\(total)"
        return r.bool() ? text : TextMutator.mutate(text, &r)
    }

    @Test func contentRange() {
        fuzz("ContentRange") { r, run in
            let text = Self.contentRangeText(&r)
            let got = ContentRange(header: text)
            let expected = referenceContentRange(text)
            guard let got else {
                run.reject()
                run.expect(expected == nil, "\(show(text)) rejected, reference \(String(describing: expected))")
                return
            }
            run.expect(
                expected.map { $0.first == got.range.first && $0.last == got.range.last && $0.total == got.total }
                    ?? false,
                "\(show(text)) parsed as \(got.header), reference \(String(describing: expected))")
            run.expect(ContentRange(header: got.header) == got, "\(show(text)): \(got.header) does not round-trip")
        }
    }

    @Test func retrievalRangeRule() {
        fuzz("RetrievalRangeRule.violation") { r, run in
            let size = SizeGenerator.size(&r)
            let first: Int64, last: Int64
            switch r.int(0 ..< 4) {
            case 0:  // aligned start, end on a MiB boundary or at the end, each nudged sometimes
                first = r.int64(0 ... max(0, size / Self.mib)) * Self.mib + (r.oneIn(4) ? 1 : 0)
                let end = r.bool() ? size : first + r.int64(1 ... 64) * Self.mib
                last = max(first, end - 1 + (r.oneIn(4) ? r.int64(-1 ... 1) : 0))
            case 1:
                first = r.int64(0 ... size + 2)
                last = first + r.int64(0 ... max(0, size - first + 2))
            default:
                first = r.int64(0 ... max(0, size / Self.mib)) * Self.mib
                last = max(first, r.bool() ? size - 1 : first + r.int64(0 ... 8) * Self.mib - 1)
            }
            guard let range = InclusiveByteRange(first: first, last: last) else { return }
            let violation = RetrievalRangeRule.violation(range, archiveSize: size)
            // design.md §1: S a multiple of 1 MiB; E+1 a multiple of 1 MiB or the archive size.
            let valid = last < size && first % Self.mib == 0 && ((last + 1) % Self.mib == 0 || last + 1 == size)
            if violation != nil { run.reject() }
            run.expect(
                (violation == nil) == valid,
                "range \(first)-\(last) of a \(size)-byte archive: \(violation ?? "accepted"), reference valid=\(valid)"
            )
        }
    }
}
