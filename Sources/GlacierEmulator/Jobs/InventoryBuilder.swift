import Foundation
import GlacierModel

/// The output of an inventory-retrieval job, in AWS's JSON or CSV form.
enum InventoryBuilder {
    /// `archives` are the live archives at initiation, optionally filtered by creation date.
    static func output(vaultARN: String, date: Date, archives: [ArchiveRecord], format: String) throws -> [UInt8] {
        let list = archives.sorted { ($0.creationDate, $0.id) < ($1.creationDate, $1.id) }.map {
            InventoryArchive(
                archiveId: $0.id, archiveDescription: $0.description,
                creationDate: GlacierTimestamp.format($0.creationDate), size: $0.size,
                sha256TreeHash: $0.treeHash)
        }
        let document = InventoryDocument(
            vaultARN: vaultARN, inventoryDate: GlacierTimestamp.format(date),
            archiveList: list)
        if format == "CSV" { return Array(document.csv().utf8) }
        return try WireJSON.encode(document)
    }
}
