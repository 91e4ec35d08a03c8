import GlacierModel

/// The JSON form, `{"VaultARN": …, "InventoryDate": …, "ArchiveList": [{"ArchiveId": …,
/// "ArchiveDescription": …, "CreationDate": …, "Size": …, "SHA256TreeHash": …}, …]}`, read byte by
/// byte: a tokenizer that survives any chunk boundary, under a pushdown grammar that knows where in
/// the document it is. Members it does not know are checked as JSON and skipped.
struct JSONInventoryParser {
    /// A string or number longer than this is not part of an inventory (descriptions are ≤ 1,024 characters).
    static let maxTokenBytes = 64 * 1024
    static let maxDepth = 64

    private enum Lexeme { case none, string, bare }
    private enum Token {
        case beginObject, endObject, beginArray, endArray, colon, comma, string([UInt8]), bare([UInt8])
    }
    private enum Kind { case root, archiveList, archive, other }
    private enum State { case keyOrEnd, key, colon, value, commaOrEnd, itemOrEnd, item, itemCommaOrEnd }

    private struct Frame {
        var kind: Kind
        var state: State
        var key: String = ""
        var seen: Set<String> = []
    }

    private var lexeme = Lexeme.none
    private var buffer: [UInt8] = []
    private var escapePending = false
    private var tokenStart: Int64 = 0
    private var position: Int64 = 0
    private var stack: [Frame] = []
    private var rootClosed = false

    private var vaultARN: String?
    private var inventoryDate: String?
    private var entries = 0
    private var id = "", description = "", created = "", hash = ""
    private var size: Int64 = 0

    mutating func feed(_ bytes: UnsafeRawBufferPointer, emit: (InventoryArchive) throws -> Void) throws {
        var i = 0
        let n = bytes.count
        while i < n {
            let c = bytes[i]
            switch lexeme {
            case .string:
                // Copy the run up to the next quote or backslash in one go.
                var j = i
                if !escapePending {
                    while j < n, bytes[j] != UInt8(ascii: "\""), bytes[j] != UInt8(ascii: "\\") { j += 1 }
                    buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[i ..< j]))
                    try checkLength()
                    if j == n {
                        position += Int64(j - i)
                        i = j
                        continue
                    }
                }
                let d = bytes[j]
                position += Int64(j - i) + 1
                i = j + 1
                if escapePending {
                    buffer.append(d)
                    escapePending = false
                } else if d == UInt8(ascii: "\\") {
                    buffer.append(d)
                    escapePending = true
                } else {
                    lexeme = .none
                    let body: [UInt8]
                    do {
                        body = try JSONStringBody.unescape(buffer[...])
                    } catch {
                        throw fail(tokenStart + 1 + Int64(error.offset), error.reason)
                    }
                    buffer.removeAll(keepingCapacity: true)
                    try token(.string(body), emit: emit)
                }
                continue
            case .bare:
                if isBareByte(c) {
                    buffer.append(c)
                    try checkLength()
                    position += 1
                    i += 1
                    continue
                }
                lexeme = .none
                let word = buffer
                buffer.removeAll(keepingCapacity: true)
                try token(.bare(word), emit: emit)
            // The delimiter is read below as the start of the next token.
            case .none:
                break
            }
            tokenStart = position
            switch c {
            case 0x20, 0x09, 0x0a, 0x0d: break
            case UInt8(ascii: "{"): try token(.beginObject, emit: emit)
            case UInt8(ascii: "}"): try token(.endObject, emit: emit)
            case UInt8(ascii: "["): try token(.beginArray, emit: emit)
            case UInt8(ascii: "]"): try token(.endArray, emit: emit)
            case UInt8(ascii: ":"): try token(.colon, emit: emit)
            case UInt8(ascii: ","): try token(.comma, emit: emit)
            case UInt8(ascii: "\""): lexeme = .string
            default:
                guard isBareByte(c) else { throw fail(position, "unexpected byte 0x\(String(c, radix: 16))") }
                lexeme = .bare
                buffer.append(c)
            }
            position += 1
            i += 1
        }
    }

    mutating func finish(emit: (InventoryArchive) throws -> Void) throws -> InventorySummary {
        if lexeme == .string { throw fail(tokenStart, "the inventory ends inside a string") }
        if lexeme == .bare {
            lexeme = .none
            try token(.bare(buffer), emit: emit)
        }
        guard rootClosed else {
            throw fail(
                position, stack.isEmpty ? "the inventory is empty" : "the inventory ends before its closing brace")
        }
        return InventorySummary(vaultARN: vaultARN, inventoryDate: inventoryDate, archiveCount: entries)
    }

    private func isBareByte(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7A) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+")
            || c == UInt8(ascii: ".") || c == UInt8(ascii: "E")
    }

    private func checkLength() throws {
        if buffer.count > Self.maxTokenBytes {
            throw fail(tokenStart, "a value longer than \(Self.maxTokenBytes) bytes, which no inventory has")
        }
    }

    private func fail(_ offset: Int64, _ reason: String) -> InventoryError {
        let inEntry = stack.contains { $0.kind == .archive }
        return InventoryError(offset: offset, entry: inEntry ? entries + 1 : nil, reason: reason, format: .json)
    }

    private mutating func token(_ t: Token, emit: (InventoryArchive) throws -> Void) throws {
        guard let top = stack.last else {
            if rootClosed { throw fail(tokenStart, "more data after the inventory's closing brace") }
            guard case .beginObject = t else {
                throw fail(tokenStart, "an inventory is a JSON object, starting with '{'")
            }
            stack.append(Frame(kind: .root, state: .keyOrEnd))
            return
        }
        switch (top.state, t) {
        case (.keyOrEnd, .endObject), (.commaOrEnd, .endObject):
            try closeObject(emit: emit)
        case (.keyOrEnd, .string(let name)), (.key, .string(let name)):
            guard let key = String(validating: name, as: UTF8.self) else {
                throw fail(tokenStart, "a member name is not UTF-8")
            }
            // Names are remembered only where the format defines them, so skipped objects cost no memory.
            if top.kind != .other, !stack[stack.count - 1].seen.insert(key).inserted {
                throw fail(tokenStart, "\(key) appears twice")
            }
            stack[stack.count - 1].key = key
            stack[stack.count - 1].state = .colon
        case (.colon, .colon):
            stack[stack.count - 1].state = .value
        case (.commaOrEnd, .comma):
            stack[stack.count - 1].state = .key
        case (.itemOrEnd, .endArray), (.itemCommaOrEnd, .endArray):
            stack.removeLast()
        case (.itemCommaOrEnd, .comma):
            stack[stack.count - 1].state = .item
        case (.value, _), (.itemOrEnd, _), (.item, _):
            switch t {
            case .beginObject, .beginArray, .string, .bare:
                stack[stack.count - 1].state = top.state == .value ? .commaOrEnd : .itemCommaOrEnd
                try value(t, in: top)
            default:
                throw fail(tokenStart, "expected a value, found \(describe(t))")
            }
        default:
            throw fail(tokenStart, "expected \(expectation(top.state)), found \(describe(t))")
        }
    }

    private mutating func value(_ t: Token, in parent: Frame) throws {
        if case .bare(let word) = t, !Self.isJSONBareValue(word) {
            throw fail(tokenStart, "\(String(decoding: word, as: UTF8.self)) is not a JSON value")
        }
        switch parent.kind {
        case .root:
            switch parent.key {
            case "ArchiveList":
                guard case .beginArray = t else { throw fail(tokenStart, "ArchiveList is not an array") }
                try push(.archiveList, .itemOrEnd)
            case "VaultARN":
                vaultARN = try string(t, "VaultARN")
            case "InventoryDate":
                let date = try string(t, "InventoryDate")
                if let problem = ArchiveFields.dateProblem("InventoryDate", date) { throw fail(tokenStart, problem) }
                inventoryDate = date
            default:
                try skip(t)
            }
        case .archiveList:
            guard case .beginObject = t else {
                throw fail(tokenStart, "ArchiveList entry \(entries + 1) is not an object")
            }
            try push(.archive, .keyOrEnd)
        case .archive:
            switch parent.key {
            case "ArchiveId":
                id = try string(t, "ArchiveId")
                if let problem = ArchiveFields.idProblem(id) { throw fail(tokenStart, problem) }
            case "ArchiveDescription":
                description = try string(t, "ArchiveDescription")
            case "CreationDate":
                created = try string(t, "CreationDate")
                if let problem = ArchiveFields.dateProblem("CreationDate", created) { throw fail(tokenStart, problem) }
            case "SHA256TreeHash":
                hash = try string(t, "SHA256TreeHash")
                if let problem = ArchiveFields.treeHashProblem(hash) { throw fail(tokenStart, problem) }
            case "Size":
                guard case .bare(let word) = t, let n = ArchiveFields.size(word) else {
                    throw fail(tokenStart, "Size is \(describe(t)), not a non-negative integer")
                }
                size = n
            default:
                try skip(t)
            }
        case .other:
            try skip(t)
        }
    }

    private mutating func push(_ kind: Kind, _ state: State) throws {
        guard stack.count < Self.maxDepth else { throw fail(tokenStart, "nested more than \(Self.maxDepth) deep") }
        stack.append(Frame(kind: kind, state: state))
    }

    /// A member the inventory format does not define: its containers are still checked as JSON.
    private mutating func skip(_ t: Token) throws {
        switch t {
        case .beginObject: try push(.other, .keyOrEnd)
        case .beginArray: try push(.other, .itemOrEnd)
        default: break
        }
    }

    private func string(_ t: Token, _ field: String) throws -> String {
        guard case .string(let bytes) = t else { throw fail(tokenStart, "\(field) is \(describe(t)), not a string") }
        guard let s = String(validating: bytes, as: UTF8.self) else {
            throw fail(tokenStart, "\(field) is not valid UTF-8")
        }
        return s
    }

    private mutating func closeObject(emit: (InventoryArchive) throws -> Void) throws {
        let frame = stack.removeLast()
        switch frame.kind {
        case .archive:
            let required = ["ArchiveId", "ArchiveDescription", "CreationDate", "Size", "SHA256TreeHash"]
            if let missing = required.first(where: { !frame.seen.contains($0) }) {
                stack.append(frame)  // so the error names this entry
                throw fail(tokenStart, "the entry has no \(missing)")
            }
            entries += 1
            try emit(
                InventoryArchive(
                    archiveId: id, archiveDescription: description, creationDate: created,
                    size: size, sha256TreeHash: hash))
        case .root:
            for required in ["VaultARN", "InventoryDate", "ArchiveList"] where !frame.seen.contains(required) {
                throw fail(tokenStart, "the inventory has no \(required)")
            }
            rootClosed = true
        case .archiveList, .other:
            break
        }
    }

    /// `true`, `false`, `null` or a number as RFC 8259 §6 writes it.
    static func isJSONBareValue(_ w: [UInt8]) -> Bool {
        if w.elementsEqual("true".utf8) || w.elementsEqual("false".utf8) || w.elementsEqual("null".utf8) { return true }
        var i = 0
        func digits() -> Int {
            let s = i
            while i < w.count, w[i] >= 0x30, w[i] <= 0x39 { i += 1 }
            return i - s
        }
        if i < w.count, w[i] == UInt8(ascii: "-") { i += 1 }
        guard i < w.count else { return false }
        if w[i] == UInt8(ascii: "0") { i += 1 } else if digits() == 0 { return false }
        if i < w.count, w[i] == UInt8(ascii: ".") {
            i += 1
            if digits() == 0 { return false }
        }
        if i < w.count, w[i] == UInt8(ascii: "e") || w[i] == UInt8(ascii: "E") {
            i += 1
            if i < w.count, w[i] == UInt8(ascii: "+") || w[i] == UInt8(ascii: "-") { i += 1 }
            if digits() == 0 { return false }
        }
        return i == w.count
    }

    private func describe(_ t: Token) -> String {
        switch t {
        case .beginObject: "an object"
        case .endObject: "'}'"
        case .beginArray: "an array"
        case .endArray: "']'"
        case .colon: "':'"
        case .comma: "','"
        case .string(let b): "the string " + ArchiveFields.quoted(String(decoding: b, as: UTF8.self))
        case .bare(let b): String(decoding: b, as: UTF8.self)
        }
    }

    private func expectation(_ s: State) -> String {
        switch s {
        case .keyOrEnd: "a member name or '}'"
        case .key: "a member name"
        case .colon: "':'"
        case .value, .item: "a value"
        case .commaOrEnd: "',' or '}'"
        case .itemOrEnd: "a value or ']'"
        case .itemCommaOrEnd: "',' or ']'"
        }
    }
}
