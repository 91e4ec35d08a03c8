import Foundation
import GlacierIntegrity
import GlacierModel

/// Turns an inventory into the plan: each archive's path under DIR (decoded, made safe, and made
/// unique), its mtime, and whether the filters select it.
public struct MigrationPlanner: Sendable {
    public let naming: any ArchiveNaming
    public let filter: PathFilter

    /// Where archives whose description names no file go.
    public static let unnamedDirectory = "_unnamed"

    public init(naming: any ArchiveNaming, filter: PathFilter) {
        self.naming = naming
        self.filter = filter
    }

    public func plan(_ inventory: [InventoryArchive]) -> [PlannedArchive] {
        var entries: [PlannedArchive] = []
        entries.reserveCapacity(inventory.count)
        for (index, a) in inventory.enumerated() {
            let decoded = naming.decode(description: a.archiveDescription, archiveId: a.archiveId)
            let created = GlacierTimestamp.parse(a.creationDate) ?? Date(timeIntervalSince1970: 0)
            let mtime = (decoded.modified ?? created).timeIntervalSince1970
            var entry = PlannedArchive(archiveId: a.archiveId, ordinal: Int64(index), description: a.archiveDescription,
                                       path: nil, decoder: decoded.decoder, size: a.size, creationDate: a.creationDate,
                                       mtime: mtime, treeHash: a.sha256TreeHash.lowercased(), phase: .planned)
            let raw = decoded.path ?? ""
            if raw.hasSuffix("/") && !Self.components(raw).isEmpty && a.size <= 1 {
                entry.phase = .skipped
                entry.reason = "a directory marker, not a file"
            } else {
                entry.path = Self.safePath(raw, archiveId: a.archiveId)
                if SHA256Digest(hex: entry.treeHash) == nil {
                    entry.phase = .failed
                    entry.reason = "the inventory's SHA256TreeHash '\(a.sha256TreeHash.prefix(80))' is not a SHA-256 digest"
                } else if !filter.selects(entry.path!) {
                    entry.phase = .skipped
                    entry.reason = "not selected by --include/--exclude"
                }
            }
            entries.append(entry)
        }
        Self.makeUnique(&entries)
        return entries
    }

    static func components(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init).filter { $0 != "." }
    }

    /// A relative path that stays inside DIR: no `..`, no empty or over-long components, no NUL,
    /// nothing under `.glacierfs`. A description naming no file gets `_unnamed/<archive id>`.
    static func safePath(_ raw: String, archiveId: String) -> String {
        var parts = components(raw.replacingOccurrences(of: "\0", with: "_")).map { part -> String in
            var p = part == ".." ? "__" : part
            if p.utf8.count > 255 {
                let hash = SHA256.hash(p).hex.prefix(12)
                var cut = p
                while cut.utf8.count > 240 { cut.removeLast() }
                p = cut + "~" + hash
            }
            return p
        }
        if parts.isEmpty { return "\(unnamedDirectory)/\(archiveId)" }
        if parts[0] == ".glacierfs" { parts[0] = "_.glacierfs" }
        return parts.joined(separator: "/")
    }

    /// Gives every archive a path of its own. Of archives with the same path the oldest keeps it
    /// (ties broken by archive id); the others get `~<CreationDate>~<id prefix>` before the extension.
    /// A file whose path is another's directory is renamed the same way.
    static func makeUnique(_ entries: inout [PlannedArchive]) {
        let named = entries.indices.filter { entries[$0].path != nil }
        var directories = Set<String>()
        for i in named {
            var parts = entries[i].path!.split(separator: "/").dropLast()
            while !parts.isEmpty {
                directories.insert(parts.joined(separator: "/"))
                parts = parts.dropLast()
            }
        }
        let ordered = named.sorted { a, b in
            (entries[a].creationDate, entries[a].archiveId) < (entries[b].creationDate, entries[b].archiveId)
        }
        var taken = Set<String>()
        for i in ordered {
            var path = entries[i].path!
            if taken.contains(path) || directories.contains(path) {
                path = disambiguated(path, entries[i], counter: 0)
                var n = 1
                while taken.contains(path) || directories.contains(path) {
                    path = disambiguated(entries[i].path!, entries[i], counter: n)
                    n += 1
                }
            }
            taken.insert(path)
            entries[i].path = path
        }
    }

    static func disambiguated(_ path: String, _ e: PlannedArchive, counter: Int) -> String {
        let stamp = e.creationDate.replacingOccurrences(of: ":", with: "-")
        let tag = "~\(stamp)~\(e.archiveId.prefix(8))" + (counter > 0 ? "~\(counter)" : "")
        let slash = path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex
        let name = path[slash...]
        if let dot = name.lastIndex(of: "."), dot != name.startIndex {
            return String(path[..<dot]) + tag + String(path[dot...])
        }
        return path + tag
    }
}
