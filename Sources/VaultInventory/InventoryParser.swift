import Foundation
import GlacierModel

/// VaultInventory: reads an inventory-retrieval job's output, JSON or CSV, as a stream.
///
/// Feed it the bytes in chunks of any size; it emits each archive as soon as its entry is complete
/// and keeps only the entry being read, so memory stays bounded however large the inventory (GBs
/// for vaults with millions of archives). It checks everything the format allows, since Glacier
/// sends no checksum for an inventory: the JSON's structure and every entry's fields and types; in
/// CSV (Amazon's own quoting, see `CSVInventoryParser`) every row's column count and field types.
/// An error names the byte offset, the entry or row, and what is wrong.
///
/// Public API:
/// ```
/// var parser = InventoryParser(format: .json)        // or .csv, or InventoryParser.Format(detecting:)
/// try parser.feed(chunk) { archive in ... }          // repeat; rethrows what `emit` throws
/// let summary = try parser.finish()                  // InventorySummary (vault ARN, date, count)
/// let summary = try InventoryParser.parseFile(atPath: p, format: .json) { archive in ... }
/// ```
/// Errors in the input are `InventoryError`.
public struct InventoryParser {
    public enum Format: String, Sendable {
        case json = "JSON", csv = "CSV"

        /// JSON when the first byte that is not whitespace is `{`, else CSV.
        public init<C: Collection<UInt8>>(detecting prefix: C) {
            let first = prefix.first { ![0x20, 0x09, 0x0a, 0x0d, 0xEF, 0xBB, 0xBF].contains($0) }
            self = first == UInt8(ascii: "{") ? .json : .csv
        }
    }

    private enum Engine {
        case json(JSONInventoryParser)
        case csv(CSVInventoryParser)
    }

    private var engine: Engine
    public let format: Format

    public init(format: Format) {
        self.format = format
        engine = format == .json ? .json(JSONInventoryParser()) : .csv(CSVInventoryParser())
    }

    /// Parses the next chunk; `emit` gets each archive whose entry the chunk completes.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, emit: (InventoryArchive) throws -> Void) throws {
        switch engine {
        case .json(var p):
            defer { engine = .json(p) }
            try p.feed(bytes, emit: emit)
        case .csv(var p):
            defer { engine = .csv(p) }
            try p.feed(bytes, emit: emit)
        }
    }

    /// Ends the input: throws if it stopped short of a complete inventory.
    public mutating func finish(emit: (InventoryArchive) throws -> Void = { _ in }) throws -> InventorySummary {
        switch engine {
        case .json(var p):
            defer { engine = .json(p) }
            return try p.finish(emit: emit)
        case .csv(var p):
            defer { engine = .csv(p) }
            return try p.finish(emit: emit)
        }
    }

    /// What is wrong with an archive record from elsewhere (a job description, say) by the rules
    /// every inventory entry must pass; nil when nothing is.
    public static func problem(in archive: InventoryArchive) -> String? {
        ArchiveFields.idProblem(archive.archiveId) ?? ArchiveFields.dateProblem("CreationDate", archive.creationDate)
            ?? ArchiveFields.treeHashProblem(archive.sha256TreeHash) ?? (archive.size < 0 ? "Size is negative" : nil)
    }

    /// Parses the inventory in the file at `path`, reading 1 MiB at a time.
    public static func parseFile(
        atPath path: String, format: Format? = nil,
        emit: (InventoryArchive) throws -> Void
    ) throws -> InventorySummary {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path])
        }
        defer { try? handle.close() }
        var parser: InventoryParser?
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            if parser == nil { parser = InventoryParser(format: format ?? Format(detecting: chunk.prefix(64))) }
            try chunk.withUnsafeBytes { try parser!.feed($0, emit: emit) }
        }
        var last = parser ?? InventoryParser(format: format ?? .json)
        return try last.finish(emit: emit)
    }
}
