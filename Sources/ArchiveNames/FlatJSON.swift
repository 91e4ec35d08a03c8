import GlacierModel

/// A reader for the one-level JSON objects the upload tools write (`{"Path": "...", "Flags": 1}`).
/// Much faster than JSONSerialization for 200,000 short descriptions, and it keeps string values as
/// bytes, so a path in a foreign encoding survives to be escaped rather than replaced.
struct FlatJSON {
    enum Value: Equatable {
        case string([UInt8])
        case number(Int64)
        case other
    }

    let fields: [String: Value]

    subscript(key: String) -> Value? { fields[key] }

    /// Nil unless `text`, less surrounding whitespace, is one object of string, integer, boolean or
    /// null values with no duplicate keys.
    init?(_ text: String) {
        var reader = Reader(bytes: Array(text.utf8))
        guard let fields = reader.object() else { return nil }
        self.fields = fields
    }

    private struct Reader {
        let bytes: [UInt8]
        var i = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func skipSpace() {
            while i < bytes.count, [0x20, 0x09, 0x0a, 0x0d].contains(bytes[i]) { i += 1 }
        }

        mutating func expect(_ c: UInt8) -> Bool {
            skipSpace()
            guard i < bytes.count, bytes[i] == c else { return false }
            i += 1
            return true
        }

        mutating func object() -> [String: Value]? {
            guard expect(UInt8(ascii: "{")) else { return nil }
            var fields: [String: Value] = [:]
            if expect(UInt8(ascii: "}")) { return finished(fields) }
            repeat {
                skipSpace()
                guard let keyBytes = string(), let key = String(validating: keyBytes, as: UTF8.self),
                    fields[key] == nil, expect(UInt8(ascii: ":")), let value = value()
                else { return nil }
                fields[key] = value
            } while expect(UInt8(ascii: ","))
            guard expect(UInt8(ascii: "}")) else { return nil }
            return finished(fields)
        }

        mutating func finished(_ fields: [String: Value]) -> [String: Value]? {
            skipSpace()
            return i == bytes.count ? fields : nil
        }

        mutating func value() -> Value? {
            skipSpace()
            guard i < bytes.count else { return nil }
            switch bytes[i] {
            case UInt8(ascii: "\""): return string().map { .string($0) }
            case UInt8(ascii: "-"), UInt8(ascii: "0") ... UInt8(ascii: "9"): return integer().map { .number($0) }
            default:
                for word in ["true", "false", "null"] where bytes[i...].starts(with: word.utf8) {
                    i += word.utf8.count
                    return .other
                }
                return nil
            }
        }

        mutating func integer() -> Int64? {
            var negative = false
            if bytes[i] == UInt8(ascii: "-") {
                negative = true
                i += 1
            }
            var v: Int64 = 0
            let start = i
            while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 {
                let (m, o1) = v.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(Int64(bytes[i] - 0x30))
                guard !o1, !o2 else { return nil }
                v = a
                i += 1
            }
            return i > start ? (negative ? -v : v) : nil
        }

        /// A string's bytes after unescaping; starts at the opening quote.
        mutating func string() -> [UInt8]? {
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\""),
                let close = JSONStringBody.closingQuote(in: bytes, from: i + 1),
                let body = try? JSONStringBody.unescape(bytes[(i + 1) ..< close])
            else { return nil }
            i = close + 1
            return body
        }
    }
}
