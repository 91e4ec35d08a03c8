import GlacierModel

/// The CSV form: a header row naming the five columns (in any order), then one row per archive.
///
/// Amazon's quoting is not RFC 4180: a quoted field escapes `"` as `\"` and leaves every other
/// backslash alone, so `"\"` is one backslash (vsespb/mt-aws-glacier
/// `lib/App/MtAws/Glacier/Inventory/CSV.pm` and its tests `t/unit/glacier/inventory_csv.t`). Only
/// the description is free text (printable ASCII, no line breaks); the other fields can hold no
/// comma or quote. So a row is split from both ends: the fields before the description from the
/// left, those after it from the right, and the description is what lies between.
struct CSVInventoryParser {
    static let columns = ["ArchiveId", "ArchiveDescription", "CreationDate", "Size", "SHA256TreeHash"]
    /// A longer line is not an inventory row (descriptions are ≤ 1,024 characters).
    static let maxLineBytes = 64 * 1024

    private var line: [UInt8] = []
    private var lineNumber = 0
    private var lineStart: Int64 = 0
    private var position: Int64 = 0
    /// `order[k]` is the index in `columns` of the k-th column in the file.
    private var order: [Int]?
    private var rows = 0

    mutating func feed(_ bytes: UnsafeRawBufferPointer, emit: (InventoryArchive) throws -> Void) throws {
        var i = 0
        while i < bytes.count {
            var j = i
            while j < bytes.count, bytes[j] != 0x0a { j += 1 }
            line.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[i ..< j]))
            if line.count > Self.maxLineBytes {
                throw InventoryError(
                    offset: lineStart, entry: lineNumber + 1,
                    reason: "a line longer than \(Self.maxLineBytes) bytes, which no inventory has",
                    format: .csv)
            }
            position += Int64(j - i)
            if j == bytes.count { break }
            position += 1
            try endLine(emit: emit)
            i = j + 1
        }
    }

    mutating func finish(emit: (InventoryArchive) throws -> Void) throws -> InventorySummary {
        if !line.isEmpty { try endLine(emit: emit) }
        guard order != nil else {
            throw InventoryError(
                offset: position, entry: nil, reason: "the inventory is empty: it has no header row",
                format: .csv)
        }
        return InventorySummary(vaultARN: nil, inventoryDate: nil, archiveCount: rows)
    }

    private mutating func endLine(emit: (InventoryArchive) throws -> Void) throws {
        lineNumber += 1
        defer {
            line.removeAll(keepingCapacity: true)
            lineStart = position
        }
        if line.last == 0x0d { line.removeLast() }
        guard let order else {
            self.order = try header()
            return
        }
        try emit(try row(order))
        rows += 1
    }

    private func fail(_ reason: String) -> InventoryError {
        InventoryError(offset: lineStart, entry: lineNumber, reason: reason, format: .csv)
    }

    private func header() throws -> [Int] {
        var text = line[...]
        if text.starts(with: [0xEF, 0xBB, 0xBF]) { text = text.dropFirst(3) }
        let names = text.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
            .map { String(decoding: Self.unquoted(Self.trimmed($0)), as: UTF8.self) }
        let order = names.compactMap { Self.columns.firstIndex(of: $0) }
        guard names.count == Self.columns.count, Set(order).count == Self.columns.count else {
            throw fail(
                "the header row is \(ArchiveFields.quoted(String(decoding: line, as: UTF8.self))); it must name "
                    + Self.columns.joined(separator: ",") + " (in any order)")
        }
        return order
    }

    private func row(_ order: [Int]) throws -> InventoryArchive {
        if line.isEmpty { throw fail("the row is empty") }
        let commas = line.indices.filter { line[$0] == UInt8(ascii: ",") }
        guard commas.count >= Self.columns.count - 1 else {
            throw fail("the row has \(commas.count + 1) columns, not \(Self.columns.count)")
        }
        let d = order.firstIndex(of: 1)!  // the description's column
        let after = Self.columns.count - 1 - d
        // Field k spans from just after comma k-1 to comma k; the description spans the middle.
        var bounds: [Range<Int>] = []
        var start = 0
        for k in 0 ..< d {
            bounds.append(start ..< commas[k])
            start = commas[k] + 1
        }
        let descriptionEnd = after == 0 ? line.count : commas[commas.count - after]
        bounds.append(start ..< descriptionEnd)
        for k in 0 ..< after {
            let c = commas[commas.count - after + k]
            bounds.append((c + 1) ..< (k == after - 1 ? line.count : commas[commas.count - after + k + 1]))
        }
        var fields = [String](repeating: "", count: Self.columns.count)
        for (k, range) in bounds.enumerated() {
            let column = order[k]
            let raw = Self.trimmed(line[range])
            if column == 1 {
                fields[1] = try description(raw)
            } else {
                let value = Self.unquoted(raw)
                if value.contains(UInt8(ascii: "\"")) || value.contains(UInt8(ascii: ",")) {
                    throw fail(
                        "\(Self.columns[column]) \(ArchiveFields.quoted(String(decoding: raw, as: UTF8.self))) "
                            + "holds a quote or comma (or the row has too many columns)")
                }
                fields[column] = String(decoding: value, as: UTF8.self)
            }
        }
        if let problem = ArchiveFields.idProblem(fields[0]) ?? ArchiveFields.dateProblem("CreationDate", fields[2])
            ?? ArchiveFields.treeHashProblem(fields[4])
        {
            throw fail(problem)
        }
        guard let size = ArchiveFields.size(fields[3].utf8) else {
            throw fail("Size \(ArchiveFields.quoted(fields[3])) is not a non-negative integer")
        }
        return InventoryArchive(
            archiveId: fields[0], archiveDescription: fields[1], creationDate: fields[2],
            size: size, sha256TreeHash: fields[4])
    }

    /// A quoted description loses its quotes and has `\"` turned into `"`; an unquoted one is taken as it is.
    private func description(_ raw: ArraySlice<UInt8>) throws -> String {
        let quote = UInt8(ascii: "\"")
        guard raw.first == quote else {
            if raw.contains(quote) { throw fail("the description has a quote but is not quoted") }
            if raw.contains(UInt8(ascii: ",")) { throw fail("the row has more than \(Self.columns.count) columns") }
            return try utf8(raw)
        }
        guard raw.count >= 2, raw.last == quote else { throw fail("the description's quotes are not closed") }
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = raw.startIndex + 1
        let end = raw.endIndex - 1
        while i < end {
            if raw[i] == UInt8(ascii: "\\"), i + 1 < end, raw[i + 1] == quote {
                out.append(quote)
                i += 2
            } else {
                out.append(raw[i])
                i += 1
            }
        }
        return try utf8(out[...])
    }

    private func utf8(_ bytes: ArraySlice<UInt8>) throws -> String {
        guard let s = String(validating: bytes, as: UTF8.self) else { throw fail("the description is not valid UTF-8") }
        return s
    }

    static func trimmed(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var s = s
        while s.first == 0x20 || s.first == 0x09 { s = s.dropFirst() }
        while s.last == 0x20 || s.last == 0x09 { s = s.dropLast() }
        return s
    }

    static func unquoted(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        guard s.count >= 2, s.first == UInt8(ascii: "\""), s.last == UInt8(ascii: "\"") else { return s }
        return s.dropFirst().dropLast()
    }
}
