import ArchiveNames
import Foundation
import GlacierIntegrity
import GlacierModel

/// Turns an inventory into the plan: each archive's path under DIR and mtime, exactly as the
/// filesystem's archive view names it (one `ArchiveTree` for both), and whether the filters select it.
public struct MigrationPlanner: Sendable {
    public let filter: PathFilter

    /// The migration's own directory in DIR: no archive may land there.
    static let stateDirectory = ".glacierfs"

    public init(filter: PathFilter) { self.filter = filter }

    public func plan(_ inventory: [InventoryArchive]) -> [PlannedArchive] {
        let tree = ArchiveTree.build(inventory)
        var entries: [PlannedArchive?] = Array(repeating: nil, count: inventory.count)
        for file in tree.files {
            let a = inventory[file.archive]
            var entry = PlannedArchive(
                archiveId: a.archiveId, ordinal: Int64(file.archive), description: a.archiveDescription,
                path: file.path, decoder: file.decoded.decoder, size: a.size,
                creationDate: a.creationDate, mtime: Double(file.modified),
                treeHash: a.sha256TreeHash.lowercased(), phase: .planned)
            entry.flags = file.decoded.flags?.label
            if SHA256Digest(hex: entry.treeHash) == nil {
                entry.phase = .failed
                entry.reason = "the inventory's SHA256TreeHash '\(a.sha256TreeHash.prefix(80))' is not a SHA-256 digest"
            } else if file.path == Self.stateDirectory || file.path.hasPrefix(Self.stateDirectory + "/") {
                entry.phase = .skipped
                entry.reason = "its name would land in DIR/.glacierfs, the migration's own state"
            } else if !filter.selects(file.path) {
                entry.phase = .skipped
                entry.reason = "not selected by --include/--exclude"
            }
            entries[file.archive] = entry
        }
        // Archives the tree shows as directories only (FastGlacier's 1-byte "…/" markers).
        for (index, a) in inventory.enumerated() where entries[index] == nil {
            let decoded = ArchiveDescriptionDecoder.decode(a.archiveDescription, archiveId: a.archiveId, size: a.size)
            var entry = PlannedArchive(
                archiveId: a.archiveId, ordinal: Int64(index), description: a.archiveDescription,
                path: nil, decoder: decoded.decoder, size: a.size, creationDate: a.creationDate,
                mtime: Double(decoded.modified ?? 0), treeHash: a.sha256TreeHash.lowercased(),
                phase: .skipped)
            entry.reason = "a directory marker (\(decoded.path)/), not a file"
            entries[index] = entry
        }
        return entries.map { $0! }
    }
}
