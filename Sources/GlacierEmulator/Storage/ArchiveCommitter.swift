import Foundation
import GlacierIntegrity

/// Turns a fully written, fsynced data file into a stored archive: data, then leaf digests, then
/// `archive.json` last, so a crash at any point leaves either a whole archive or a directory the
/// next start removes.
enum ArchiveCommitter {
    static func commit(
        store: EmulatorStore, vault: String, record: ArchiveRecord, dataFile: String,
        leaves: [SHA256Digest]
    ) async throws {
        let layout = store.layout
        let id = record.id
        let meta = try WireJSON.encode(record)
        let leafBytes = LeafFile.encode(leaves)
        try await store.io.run {
            try FileOps.createDirectory(layout.archive(vault, id))
            try FileOps.publish(
                data: dataFile, to: layout.archiveData(vault, id), leaves: leafBytes,
                to: layout.archiveLeaves(vault, id), meta: meta, to: layout.archiveMeta(vault, id),
                tmpDir: layout.tmp)
        }
        let published = store.withState { s -> Bool in
            guard s.vaults[vault] != nil else { return false }
            s.vaults[vault]!.archives[id] = StoredArchive(record: record, leaves: leaves)
            return true
        }
        if !published {
            await store.removeTree(layout.archive(vault, id))
            throw ServiceError.notFound("The vault \(vault) was deleted while the archive was being stored.")
        }
    }
}
