@testable import GlacierEmulator

/// JSON documents a hostile or broken server might send, built field by field from a schema so
/// the test knows, independently of any decoder, whether each one is a valid instance.
enum HostileJSON {
    indirect enum Kind: Sendable {
        case string, int64, bool
        case object([Field])
    }

    struct Field: Sendable {
        let key: String
        let kind: Kind
        let required: Bool
    }

    /// A generated member: the JSON to send (nil: leave the key out) and whether it is valid.
    struct Member {
        let key: String
        let json: JSONValue?
        let valid: Bool
        /// The decoded value when valid and present (String, Int64, Bool or [String: Any]).
        let decoded: Decoded?
    }

    indirect enum Decoded {
        case string(String), int64(Int64), bool(Bool), object([String: Decoded])
        var string: String? { if case .string(let s) = self { s } else { nil } }
        var int64: Int64? { if case .int64(let v) = self { v } else { nil } }
        var bool: Bool? { if case .bool(let v) = self { v } else { nil } }
        var object: [String: Decoded]? { if case .object(let v) = self { v } else { nil } }
    }

    /// Strings servers send, and the ones a filesystem must never turn into names.
    static func string(_ r: inout FuzzRandom) -> String {
        switch r.int(0 ..< 8) {
        case 0:
            return r.pick([
                "", ".", "..", "a/b", "../etc", "nul\u{0}id", "/", "\u{202E}txt", String(repeating: "x", count: 300),
            ])
        case 1: return TextMutator.text(&r, maxLength: 20)
        default:
            return String(
                decoding: (0 ..< r.int(1 ... 40)).map { _ in
                    r.pick(Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8))
                }, as: UTF8.self)
        }
    }

    static func int64(_ r: inout FuzzRandom) -> Int64 {
        switch r.int(0 ..< 6) {
        case 0: return r.pick([0, -1, .max, .min, 1 << 20, (1 << 20) - 1, 40 << 40, (40 << 40) + 1])
        case 1: return -Int64(r.magnitude(maxBits: 62))
        default: return Int64(r.magnitude(maxBits: 46))
        }
    }

    /// A value of the wrong shape for `kind`, including numbers no Int64 holds.
    static func wrong(_ kind: Kind, _ r: inout FuzzRandom) -> JSONValue {
        var options: [JSONValue] = [.array([]), .array([.string("x")])]
        switch kind {
        case .string: options += [.number("5"), .bool(true), .number("-1"), .object([])]
        case .int64:
            options += [
                .string("123"), .bool(false), .number("99999999999999999999"), .number("9223372036854775808"),
                .number("-9223372036854775809"), .number("1.5"), .number("-0.5"), .number("1e400"), .object([]),
            ]
        case .bool: options += [.number("1"), .number("0"), .string("true"), .object([])]
        case .object: options += [.string("{}"), .number("0"), .bool(true)]
        }
        return r.pick(options)
    }

    /// A member that is valid unless the draw says otherwise (`hostility` is the chance, in
    /// eighths, of breaking it).
    static func member(_ field: Field, _ r: inout FuzzRandom, hostility: Int) -> Member {
        if r.int(0 ..< 8) < hostility {
            switch r.int(0 ..< 3) {
            case 0: return Member(key: field.key, json: nil, valid: !field.required, decoded: nil)
            case 1: return Member(key: field.key, json: .null, valid: !field.required, decoded: nil)
            default: return Member(key: field.key, json: wrong(field.kind, &r), valid: false, decoded: nil)
            }
        }
        if !field.required && r.oneIn(4) {
            return Member(key: field.key, json: r.bool() ? nil : .null, valid: true, decoded: nil)
        }
        switch field.kind {
        case .string:
            let s = string(&r)
            return Member(key: field.key, json: .string(s), valid: true, decoded: .string(s))
        case .int64:
            let v = int64(&r)
            return Member(key: field.key, json: .number(String(v)), valid: true, decoded: .int64(v))
        case .bool:
            let v = r.bool()
            return Member(key: field.key, json: .bool(v), valid: true, decoded: .bool(v))
        case .object(let fields):
            let (json, valid, decoded) = object(fields, &r, hostility: hostility)
            return Member(key: field.key, json: json, valid: valid, decoded: decoded.map(Decoded.object))
        }
    }

    /// An object of `fields` in shuffled order with an unknown key sometimes added.
    static func object(
        _ fields: [Field], _ r: inout FuzzRandom, hostility: Int
    )
        -> (json: JSONValue, valid: Bool, decoded: [String: Decoded]?)
    {
        let members = fields.map { member($0, &r, hostility: hostility) }
        var pairs = members.compactMap { m in m.json.map { (m.key, $0) } }
        if r.oneIn(4) { pairs.append(("Unexpected\(r.int(0 ... 9))", .array([.null]))) }
        r.shuffle(&pairs)
        let valid = members.allSatisfy(\.valid)
        var decoded: [String: Decoded] = [:]
        for m in members { decoded[m.key] = m.decoded }
        return (.object(pairs), valid, valid ? decoded : nil)
    }

    /// Compact JSON, written here rather than by the emulator so the inputs do not depend on the
    /// code under test. Non-ASCII is sometimes written as \u escapes (surrogate pairs above the BMP).
    static func text(_ v: JSONValue, escapeNonASCII: Bool = false) -> String {
        switch v {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let n): return n
        case .string(let s): return quoted(s, escapeNonASCII: escapeNonASCII)
        case .array(let items):
            return "[" + items.map { text($0, escapeNonASCII: escapeNonASCII) }.joined(separator: ",") + "]"
        case .object(let members):
            return "{"
                + members.map {
                    quoted($0.0, escapeNonASCII: escapeNonASCII) + ":" + text($0.1, escapeNonASCII: escapeNonASCII)
                }
                .joined(separator: ",") + "}"
        }
    }

    static func quoted(_ s: String, escapeNonASCII: Bool) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where u.value < 0x20 || (escapeNonASCII && u.value > 0x7E):
                for unit in String(u).utf16 { out += "\\u" + String(unit, radix: 16).leftPadded(to: 4) }
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}

/// The API model's shapes (service-2.json), as the schemas the generator fills.
enum GlacierSchemas {
    typealias F = HostileJSON.Field

    static let inventoryParameters: [F] = ["Format", "StartDate", "EndDate", "Limit", "Marker"].map {
        F(key: $0, kind: .string, required: false)
    }

    static let job: [F] = [
        F(key: "JobId", kind: .string, required: true),
        F(key: "JobDescription", kind: .string, required: false),
        F(key: "Action", kind: .string, required: true),
        F(key: "ArchiveId", kind: .string, required: false),
        F(key: "VaultARN", kind: .string, required: false),
        F(key: "CreationDate", kind: .string, required: false),
        F(key: "Completed", kind: .bool, required: true),
        F(key: "StatusCode", kind: .string, required: true),
        F(key: "StatusMessage", kind: .string, required: false),
        F(key: "ArchiveSizeInBytes", kind: .int64, required: false),
        F(key: "InventorySizeInBytes", kind: .int64, required: false),
        F(key: "SNSTopic", kind: .string, required: false),
        F(key: "CompletionDate", kind: .string, required: false),
        F(key: "SHA256TreeHash", kind: .string, required: false),
        F(key: "ArchiveSHA256TreeHash", kind: .string, required: false),
        F(key: "RetrievalByteRange", kind: .string, required: false),
        F(key: "Tier", kind: .string, required: false),
        F(key: "InventoryRetrievalParameters", kind: .object(inventoryParameters), required: false),
        F(key: "JobOutputPath", kind: .string, required: false),
    ]

    static let vault: [F] = [
        F(key: "VaultARN", kind: .string, required: false),
        F(key: "VaultName", kind: .string, required: true),
        F(key: "CreationDate", kind: .string, required: false),
        F(key: "LastInventoryDate", kind: .string, required: false),
        F(key: "NumberOfArchives", kind: .int64, required: false),
        F(key: "SizeInBytes", kind: .int64, required: false),
    ]

    static let error: [F] = [
        F(key: "code", kind: .string, required: true),
        F(key: "message", kind: .string, required: false),
        F(key: "type", kind: .string, required: false),
    ]
}
