import Foundation
import GlacierIntegrity
import Logging

/// Rebuilds `StoreState` from the data directory at startup (blocking; run on the thread pool).
///
/// Anything an interrupted write can leave behind is removed: temp files, archive and part
/// directories whose metadata (written last) is missing or does not match their data, and vault
/// directories without `vault.json`.
enum StoreLoader {
    static func load(layout: DataLayout, logger: Logger) throws -> StoreState {
        for dir in [layout.root, layout.tmp, layout.vaults] { try FileOps.createDirectory(dir) }
        for leftover in FileOps.list(layout.tmp) { FileOps.removeTree(layout.tmp + "/" + leftover) }
        FileOps.removeTree(layout.synthetic)

        var state = StoreState()
        if let bytes = try? FileOps.readFile(layout.stateFile),
            let saved = try? JSONDecoder().decode(ServiceState.self, from: Data(bytes))
        {
            state.jobClockOffset = saved.jobClockOffset
        }
        for name in FileOps.list(layout.vaults).sorted() {
            guard let record: VaultRecord = decode(layout.vaultMeta(name)), record.name == name else {
                logger.warning("removing a vault directory without valid metadata", metadata: ["vault": "\(name)"])
                FileOps.removeTree(layout.vault(name))
                continue
            }
            var vault = StoredVault(record: record)
            loadArchives(into: &vault, layout: layout, logger: logger)
            loadUploads(into: &vault, layout: layout, logger: logger)
            loadJobs(into: &vault, state: &state, layout: layout, logger: logger)
            state.vaults[name] = vault
        }
        return state
    }

    private static func decode<T: Decodable>(_ path: String) -> T? {
        guard let bytes = try? FileOps.readFile(path) else { return nil }
        return try? JSONDecoder().decode(T.self, from: Data(bytes))
    }

    private static func fileSize(_ path: String) -> Int64? {
        var st = stat()
        return stat(path, &st) == 0 ? Int64(st.st_size) : nil
    }

    private static func leaves(_ path: String, size: Int64) -> [SHA256Digest]? {
        guard let bytes = try? FileOps.readFile(path), let leaves = LeafFile.decode(bytes),
            leaves.count == LeafFile.leafCount(size: size)
        else { return nil }
        return leaves
    }

    private static func loadArchives(into vault: inout StoredVault, layout: DataLayout, logger: Logger) {
        let name = vault.record.name
        for id in FileOps.list(layout.archives(name)) {
            guard let record: ArchiveRecord = decode(layout.archiveMeta(name, id)), record.id == id,
                fileSize(layout.archiveData(name, id)) == record.size,
                let leaves = leaves(layout.archiveLeaves(name, id), size: record.size),
                TreeHash.root(of: leaves).hex == record.treeHash
            else {
                logger.warning("removing an incomplete archive", metadata: ["vault": "\(name)", "archive": "\(id)"])
                FileOps.removeTree(layout.archive(name, id))
                continue
            }
            vault.archives[id] = StoredArchive(record: record, leaves: leaves)
        }
    }

    private static func loadUploads(into vault: inout StoredVault, layout: DataLayout, logger: Logger) {
        let name = vault.record.name
        for id in FileOps.list(layout.uploads(name)) {
            guard let record: UploadRecord = decode(layout.uploadMeta(name, id)), record.id == id else {
                FileOps.removeTree(layout.upload(name, id))
                continue
            }
            var upload = StoredUpload(record: record)
            let partsDir = layout.parts(name, id)
            var keep = Set<String>()
            for file in FileOps.list(partsDir) where file.hasSuffix(".json") {
                guard let start = Int64(file.dropLast(5)),
                    let part: PartRecord = decode(layout.partMeta(name, id, start)), part.start == start,
                    fileSize(layout.partData(name, id, start)) == part.length,
                    let leaves = leaves(layout.partLeaves(name, id, start), size: part.length)
                else { continue }
                upload.parts[start] = StoredPart(record: part, leaves: leaves)
                keep.formUnion(["\(start).json", "\(start).data", "\(start).leaves"])
            }
            for file in FileOps.list(partsDir) where !keep.contains(file) {
                logger.warning("removing an incomplete part", metadata: ["upload": "\(id)", "file": "\(file)"])
                FileOps.removeTree(partsDir + "/" + file)
            }
            vault.uploads[id] = upload
        }
    }

    private static func loadJobs(
        into vault: inout StoredVault, state: inout StoreState, layout: DataLayout,
        logger: Logger
    ) {
        let name = vault.record.name
        for id in FileOps.list(layout.jobs(name)) {
            guard let record: JobRecord = decode(layout.jobMeta(name, id)), record.id == id,
                record.kind == .archive || record.outputFile.map({ FileOps.exists(layout.root + "/" + $0) }) == true
            else {
                logger.warning("removing an incomplete job", metadata: ["vault": "\(name)", "job": "\(id)"])
                FileOps.removeTree(layout.job(name, id))
                continue
            }
            var job = StoredJob(record: record)
            if let bytes = try? FileOps.readFile(layout.jobOverride(name, id)) {
                job.override = try? JSONParser.parse(bytes)
            }
            vault.jobs[id] = job
            state.nextJobSequence = max(state.nextJobSequence, record.sequence + 1)
            if record.kind == .inventory {
                vault.lastInventoryDate = max(vault.lastInventoryDate ?? .distantPast, record.creationDate)
            }
        }
        vault.jobs.sortBySequence()
    }
}
