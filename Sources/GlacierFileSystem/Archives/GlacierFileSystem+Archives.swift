import ArchiveIndex
import ArchiveNames
import CPlatformSupport
import Foundation
import GlacierModel
import OutputCache
import VaultInventory

/// `<vault>/archives/`: every archive of the vault under the path its uploading tool recorded,
/// from the vault's newest readable inventory (see ArchiveNames for the naming rules). A file is
/// read through the same reader, and so the same cache entry, as its retrieval job's
/// `jobs/<id>/output`.
extension GlacierFileSystem {
    static let archivesDirectoryName = "archives"

    enum ArchiveAttribute {
        /// On `archives/`: which inventory the view comes from, or why it is empty.
        static let status = "user.glacier.archives"
        static let nameSource = "user.glacier.name-source"
        static let availability = "user.glacier.availability"
        static let flags = "user.glacier.flags"
    }

    // MARK: - The index

    func archiveIndex(vault: String) async -> ArchiveIndexes.Status {
        await archiveIndexes.status(
            vault: vault, build: { [self] in await buildArchiveIndex(vault: vault) },
            refresh: { [self] current, refused in
                await refreshArchiveIndex(vault: vault, current: current, refused: refused)
            })
    }

    func archiveIndexPath(vault: String) -> String {
        let key = catalog.outputKey(vault: vault, jobId: "")
        return cache.directory + "/archive-index/" + key.directoryName + ".sqlite"
    }

    /// The vault's completed inventory jobs, newest first.
    private func inventories(in jobs: [String: JobEntry]) -> [JobEntry] {
        jobs.values.filter { $0.job.isInventoryRetrieval && $0.outputShape != nil }
            .sorted { ($0.completionDate, $0.job.jobId) > ($1.completionDate, $1.job.jobId) }
    }

    /// Whether an inventory's bytes can still be had: from the service, or wholly from the cache.
    private func isReadable(_ job: JobEntry, vault: String) -> Bool {
        job.source != .cacheOnly
            || cache.existingEntry(for: catalog.outputKey(vault: vault, jobId: job.job.jobId))?.isComplete == true
    }

    /// An index of the newest readable inventory, when that is newer than the one `current` was
    /// built from (and not refused before). The old index keeps serving until this one is ready.
    private func refreshArchiveIndex(
        vault: String, current: ArchiveIndex, refused: Set<String>
    ) async -> ArchiveIndexes.Refresh {
        let jobs = await catalog.jobs(vault: vault)
        let inventory: JobEntry
        let why: String
        let key: String
        if let newest = inventories(in: jobs).first(where: { isReadable($0, vault: vault) }),
            newest.job.jobId != current.source.inventoryJobId, !refused.contains(newest.job.jobId),
            newest.completionDate > (jobs[current.source.inventoryJobId]?.completionDate ?? .distantPast)
        {
            (inventory, why, key) = (newest, "newer inventory job \(newest.job.jobId)", newest.job.jobId)
        } else if let same = jobs[current.source.inventoryJobId], isReadable(same, vault: vault) {
            // Retrievals started during the mount can name archives the inventory does not list:
            // they are shown (as _unnamed/<id>) once the same inventory is indexed again with them.
            let unlisted = Self.archivesOnlyJobsName(jobs: jobs, listed: []).map(\.archiveId)
                .filter { (try? current.files(archiveId: $0))?.isEmpty == true }
            key = current.source.inventoryJobId + "+" + unlisted.joined(separator: ",")
            guard !unlisted.isEmpty, !refused.contains(key) else { return .unchanged }
            (inventory, why) = (
                same, "inventory job \(same.job.jobId) with \(unlisted.count) archive(s) only a retrieval job names"
            )
        } else {
            return .unchanged
        }
        do {
            let clock = ContinuousClock()
            let start = clock.now
            let index = try await buildArchiveIndex(
                vault: vault, inventory: inventory, jobs: jobs, path: archiveIndexPath(vault: vault))
            let was = "was \(current.source.archiveCount) from job \(current.source.inventoryJobId)"
            logger.notice(
                "re-indexed vault \(vault) from \(why): \(index.source.archiveCount) archives (\(was)) in \(clock.now - start)"
            )
            return .replaced(index)
        } catch {
            logger.error(
                "cannot re-index vault \(vault) from \(why): \(error); archives/ keeps the view from job \(current.source.inventoryJobId)"
            )
            return .refused(jobId: key)
        }
    }

    /// Tries the vault's readable inventories, newest first: reuses an index already built from one,
    /// else parses it (streaming, every field checked) into a new index.
    private func buildArchiveIndex(vault: String) async -> ArchiveIndexes.Status {
        let jobs = await catalog.jobs(vault: vault)
        let inventories = inventories(in: jobs)
        let command = "glacierfs inventory \(vault) --wait"
        guard !inventories.isEmpty else {
            let why =
                "vault \(vault) has no readable inventory, so archives/ is empty; run `\(command)` "
                + "(it takes hours) and archives/ fills in once it completes"
            logger.notice("\(why)")
            return .unavailable(why)
        }
        let path = archiveIndexPath(vault: vault)
        var problems: [String] = []
        for job in inventories {
            let id = job.job.jobId
            guard isReadable(job, vault: vault) else {
                problems.append("inventory job \(id) has expired and is not wholly cached")
                continue
            }
            if let index = ArchiveIndex.open(path: path, inventoryJobId: id) { return .ready(index) }
            do {
                let clock = ContinuousClock()
                let start = clock.now
                let index = try await buildArchiveIndex(vault: vault, inventory: job, jobs: jobs, path: path)
                logger.notice(
                    "indexed vault \(vault): \(index.source.archiveCount) archives from inventory job \(id) in \(clock.now - start)"
                )
                return .ready(index)
            } catch {
                logger.error("cannot use inventory job \(id) of vault \(vault): \(error)")
                problems.append("inventory job \(id): \(error)")
            }
        }
        let why =
            "no inventory of vault \(vault) can be used (" + problems.joined(separator: "; ")
            + "); run `\(command)` for a new one"
        return .unavailable(why)
    }

    private func buildArchiveIndex(
        vault: String, inventory: JobEntry, jobs: [String: JobEntry],
        path: String
    ) async throws -> ArchiveIndex {
        guard let shape = inventory.outputShape, case .success(let reader) = reader(for: inventory, shape: shape) else {
            throw ArchiveIndexProblem("its output cannot be opened")
        }
        var parser = InventoryParser(format: shape.inventoryFormat?.uppercased() == "CSV" ? .csv : .json)
        var archives: [InventoryArchive] = []
        let clock = ContinuousClock()
        let started = clock.now
        var downloaded = started
        for leaf in 0 ..< reader.geometry.leafCount {
            let result = await reader.leaf(leaf)
            // The first leaf is served only once the whole inventory was downloaded and checked.
            if leaf == 0 { downloaded = clock.now }
            switch result {
            case .success(let view):
                try withExtendedLifetime(view.node) { try parser.feed(view.bytes) { archives.append($0) } }
                // Parsed and cached on disk: its memory is better spent on the archive list growing here,
                // so the peak stays near the larger of the two rather than their sum.
                reader.services.memory.drop(output: reader.id, leaf: leaf)
                if leaf % 16 == 15 { reader.services.pool.releaseIdle() }
            case .failure(let failure):
                throw ArchiveIndexProblem(failure.message)
            }
        }
        let summary = try parser.finish { archives.append($0) }
        let parsed = clock.now
        reader.services.pool.releaseIdle()
        // Archives only a retrieval job names are shown too (as _unnamed/<id>), until an inventory lists them.
        archives += Self.archivesOnlyJobsName(jobs: jobs, listed: archives)
        let source = ArchiveIndex.Source(
            inventoryJobId: inventory.job.jobId, inventoryDate: summary.inventoryDate,
            format: parser.format.rawValue, archiveCount: archives.count)
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // Decoding and writing 200,000 names takes seconds of CPU: keep it off the cooperative pool.
        // The list moves into the build, which frees it before malloc is asked to give memory back:
        // a closure capturing it would keep its 100 MB alive past the trim, and RSS with them.
        let handoff = ArchiveHandoff(archives)
        archives = []
        defer {
            logger.notice(
                "index of vault \(vault): inventory downloaded and checked in \(downloaded - started), parsed in \(parsed - downloaded), named and written in \(clock.now - parsed)"
            )
        }
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                let result = Result {
                    try Self.writeIndex(path: path, source: source, taking: handoff)
                    // The build's hundreds of MB are free now; give them back before the index is
                    // opened, or RSS keeps them for the mount's life.
                    glfs_release_free_memory()
                    guard let index = ArchiveIndex.open(path: path, inventoryJobId: source.inventoryJobId) else {
                        throw ArchiveIndexProblem("the index just written to \(path) cannot be opened")
                    }
                    return index
                }
                continuation.resume(with: result)
            }
        }
    }

    /// Archives that retrieval jobs name but the inventory does not list. The set built here holds
    /// the jobs' few ids, not the inventory's: a set of 200,000 ids would outlive the list it came
    /// from, its strings scattered over the pages the list frees, and pin them in RSS.
    private static func archivesOnlyJobsName(jobs: [String: JobEntry], listed: [InventoryArchive]) -> [InventoryArchive]
    {
        var named: [String: InventoryArchive] = [:]
        for entry in jobs.values.sorted(by: { $0.job.jobId < $1.job.jobId }) {
            let job = entry.job
            guard job.isArchiveRetrieval, let id = job.archiveId, named[id] == nil, let size = job.archiveSizeInBytes,
                let hash = job.archiveSHA256TreeHash ?? job.sha256TreeHash
            else { continue }
            let archive = InventoryArchive(
                archiveId: id, archiveDescription: "",
                creationDate: job.creationDate ?? "1970-01-01T00:00:00Z", size: size, sha256TreeHash: hash)
            var checked = archive
            checked.creationDate = "1970-01-01T00:00:00Z"  // a job's own date format is not the inventory's
            guard InventoryParser.problem(in: checked) == nil else { continue }
            named[id] = archive
        }
        guard !named.isEmpty else { return [] }
        for archive in listed where named[archive.archiveId] != nil { named[archive.archiveId] = nil }
        return named.values.sorted { $0.archiveId < $1.archiveId }
    }

    /// Writes the index of the archives in `handoff`, which it empties; they are freed on return.
    private static func writeIndex(path: String, source: ArchiveIndex.Source, taking handoff: ArchiveHandoff) throws {
        let archives = handoff.take()
        try ArchiveIndex.write(path: path, source: source, archives: archives, tree: ArchiveTree.build(archives))
    }

    // MARK: - Names and attributes

    func archiveChild(vault: String, parent: Int64, named name: String) async -> Result<InodeKind, FileSystemError> {
        guard case .ready(let index) = await archiveIndex(vault: vault) else { return .failure(.notFound) }
        guard let entry = try? index.child(of: parent, named: name) else { return .failure(.notFound) }
        return .success(
            entry.isDirectory
                ? .archiveDirectory(vault: vault, entry: entry.id)
                : .archiveFile(vault: vault, entry: entry.id))
    }

    func archiveAttributes(
        vault: String, entry id: Int64, inode: UInt64
    ) async -> Result<InodeAttributes, FileSystemError> {
        guard case .ready(let index) = await archiveIndex(vault: vault) else {
            // No index: archives/ itself exists, empty, dated like its vault.
            guard id == ArchiveIndex.rootId, let v = await catalog.vaults()[vault] else { return .failure(.notFound) }
            return .success(
                InodeAttributes(
                    inode: inode, isDirectory: true, size: 0, permissions: 0o555, linkCount: 2,
                    modified: v.creationDate, uid: configuration.uid, gid: configuration.gid,
                    cacheSeconds: configuration.listingTTLSeconds))
        }
        guard let entry = try? index.entry(id) else { return .failure(.notFound) }
        var attributes = InodeAttributes(
            inode: inode, isDirectory: entry.isDirectory, size: entry.isDirectory ? 0 : entry.size,
            permissions: entry.isDirectory ? 0o555 : 0o444, linkCount: entry.isDirectory ? 2 : 1,
            modified: Date(timeIntervalSince1970: TimeInterval(entry.modified)), uid: configuration.uid,
            // Not immutable: a newer inventory can rename, add or drop entries during the mount.
            gid: configuration.gid, cacheSeconds: configuration.listingTTLSeconds)
        attributes.changed = entry.created.map { Date(timeIntervalSince1970: TimeInterval($0)) }
        return .success(attributes)
    }

    /// The listing of an archives directory, with attributes, in one query.
    func archiveDirectoryEntries(vault: String, entry id: Int64) async -> [DirectoryEntry] {
        guard case .ready(let index) = await archiveIndex(vault: vault), let children = try? index.children(of: id)
        else {
            return []
        }
        return children.map { child in
            let kind: InodeKind =
                child.isDirectory
                ? .archiveDirectory(vault: vault, entry: child.id)
                : .archiveFile(vault: vault, entry: child.id)
            var attributes = InodeAttributes(
                inode: inodes.inode(for: kind), isDirectory: child.isDirectory,
                size: child.isDirectory ? 0 : child.size,
                permissions: child.isDirectory ? 0o555 : 0o444, linkCount: child.isDirectory ? 2 : 1,
                modified: Date(timeIntervalSince1970: TimeInterval(child.modified)), uid: configuration.uid,
                gid: configuration.gid, cacheSeconds: configuration.listingTTLSeconds)
            attributes.changed = child.created.map { Date(timeIntervalSince1970: TimeInterval($0)) }
            return DirectoryEntry(name: child.name, attributes: attributes)
        }
    }

    // MARK: - Reading

    /// Where the archive's bytes can come from now, judged from the job listing and the cache only.
    func availability(vault: String, archiveId: String) async -> ArchiveAvailability {
        let retrievals = await catalog.jobs(vault: vault).values
            .filter { $0.job.isArchiveRetrieval && $0.job.archiveId == archiveId }
            .sorted { ($0.completionDate, $0.job.jobId) > ($1.completionDate, $1.job.jobId) }
        var expired: String?
        for job in retrievals {
            guard let shape = job.outputShape, shape.verification == .treeHash,
                job.job.retrievalByteRange == nil
                    || shape.size == job.job.archiveSizeInBytes
            else { continue }
            let complete =
                cache.existingEntry(for: catalog.outputKey(vault: vault, jobId: job.job.jobId))?.isComplete == true
            if complete { return .cached(job, shape) }
            if job.source == .service { return .downloadable(job, shape) }
            expired = expired ?? job.job.jobId
        }
        if let running = retrievals.first(where: { !$0.job.completed }) { return .inProgress(jobId: running.job.jobId) }
        if let expired { return .expired(jobId: expired) }
        return .notRetrieved
    }

    /// The job whose output serves the archive, or the errno for why there is none.
    func archiveOutput(
        vault: String, entry id: Int64
    ) async -> Result<(job: JobEntry, shape: JobOutputShape), FileSystemError> {
        guard case .ready(let index) = await archiveIndex(vault: vault), let entry = try? index.entry(id),
            let archiveId = entry.archiveId
        else { return .failure(.notFound) }
        let path = (try? index.path(of: id)) ?? entry.name
        let availability = await availability(vault: vault, archiveId: archiveId)
        switch availability {
        case .downloadable(let job, let shape), .cached(let job, let shape):
            // The job's root must be the inventory's: the same archive, as the service last listed it.
            if let expected = entry.treeHash, let jobHash = job.job.sha256TreeHash, jobHash.lowercased() != expected {
                logger.error(
                    "archives/\(path) in vault \(vault): job \(job.job.jobId)'s SHA256TreeHash \(jobHash) is not the inventory's \(expected); refusing to serve it"
                )
                return .failure(.io)
            }
            return .success((job, shape))
        case .inProgress, .expired, .notRetrieved:
            let advice = availability.errno == EAGAIN ? "wait for it, or if it fails run" : "run"
            logger.warning(
                "archives/\(path) in vault \(vault) (archive \(archiveId)) cannot be read: \(availability.label); \(advice) `glacierfs retrieve \(vault) \(archiveId)`"
            )
            return .failure(FileSystemError(availability.errno ?? ENODATA))
        }
    }

    // MARK: - Extended attributes

    func archiveAttributeNames(vault: String, kind: InodeKind) async -> [String] {
        switch kind {
        case .archiveDirectory(_, let id) where id == ArchiveIndex.rootId:
            return [ArchiveAttribute.status]
        case .archiveFile(_, let id):
            guard case .ready(let index) = await archiveIndex(vault: vault), let entry = try? index.entry(id) else {
                return []
            }
            var names = [
                OutputAttribute.archiveId, OutputAttribute.archiveDescription, ArchiveAttribute.nameSource,
                OutputAttribute.treeHash, ArchiveAttribute.availability, OutputAttribute.verified,
                OutputAttribute.mimeType,
            ]
            if entry.flags != nil { names.append(ArchiveAttribute.flags) }
            return names
        default:
            return []
        }
    }

    func archiveAttribute(vault: String, kind: InodeKind, name: String) async -> String? {
        // ls -l asks every file for ACLs and security labels: answer those without a query.
        guard name.hasPrefix("user.") else { return nil }
        let status = await archiveIndex(vault: vault)
        if case .archiveDirectory(_, let id) = kind, id == ArchiveIndex.rootId, name == ArchiveAttribute.status {
            switch status {
            case .ready(let index):
                let s = index.source
                return "\(s.archiveCount) archives from inventory job \(s.inventoryJobId) (\(s.format)"
                    + (s.inventoryDate.map { ", taken \($0)" } ?? "") + ")"
            case .unavailable(let why):
                return why
            }
        }
        guard case .archiveFile(_, let id) = kind, case .ready(let index) = status, let entry = try? index.entry(id),
            let archiveId = entry.archiveId
        else { return nil }
        switch name {
        case OutputAttribute.archiveId: return archiveId
        case OutputAttribute.archiveDescription: return entry.description
        case ArchiveAttribute.nameSource: return entry.decoder
        case OutputAttribute.treeHash: return entry.treeHash
        case ArchiveAttribute.flags: return entry.flags?.label
        case ArchiveAttribute.availability: return await availability(vault: vault, archiveId: archiveId).label
        case OutputAttribute.verified:
            switch await availability(vault: vault, archiveId: archiveId) {
            case .downloadable(let job, let shape), .cached(let job, let shape):
                return verificationSummary(job: job, shape: shape)
            default: return "none"
            }
        case OutputAttribute.mimeType:
            // Sniffed only where the bytes can be had; nothing is retrieved to name a type.
            switch await availability(vault: vault, archiveId: archiveId) {
            case .downloadable(let job, let shape), .cached(let job, let shape):
                return await mediaType(job: job, shape: shape)
            default: return "application/octet-stream"
            }
        default: return nil
        }
    }
}

/// Why an inventory could not become an index.
struct ArchiveIndexProblem: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
