import Foundation
import GlacierIntegrity
import Logging
import Synchronization

/// The on-disk cache of verified job output, shared by every output of one mount.
///
/// Layout under the cache directory (mode 0700; files 0600):
/// ```
/// CACHEDIR.TAG            marks the directory for backup tools to skip
/// lock                    held by the process using the cache
/// outputs/<hash>/meta.json   the OutputDescriptor, written atomically
/// outputs/<hash>/data        sparse file the size of the output
/// outputs/<hash>/index       leaf index (see LeafIndexFile)
/// outputs/.tmp-*             a hand-over or creation under way; deleted at startup
/// ```
/// Every leaf read back is checked against what was recorded when it was verified, so a torn
/// write, a crash or a decayed disk can only make the cache forget, never serve wrong bytes. A
/// streamed node's leaves are staged (data written, no slot) until the node verified; a crash
/// forgets them, and startup frees their space.
/// An output whose root did not match its job's tree hash keeps only its `meta.json` with that
/// verdict, so no later mount serves it. A data file with a second link (a hand-over to
/// `glacierfs migrate` cut short) is never loaded: the cache must not punch holes in a user's file.
public final class OutputCache: Sendable {
    public let directory: String
    let space: CacheSpace
    private let lockFD: Int32
    private let entries = Mutex<[OutputKey: CachedOutput]>([:])
    /// The same entries by id: the space names eviction victims by id.
    private let entriesById = Mutex<[Int: CachedOutput]>([:])
    private let creating = Mutex(())
    private let nextId = Atomic<Int>(1)
    private let logger: Logger

    var outputsDirectory: String { directory + "/outputs" }

    /// Opens (creating if needed) the cache at `directory` and takes its lock.
    /// - Parameters:
    ///   - maxBytes: the most output bytes to keep.
    ///   - minFreeBytes: the free space to leave on the filesystem; nil picks 5 % of its size,
    ///     capped at 1 GiB.
    public init(
        directory: String, maxBytes: Int64, minFreeBytes: Int64? = nil,
        logger: Logger = Logger(label: "glacierfs.cache")
    ) throws(CacheError) {
        self.directory = directory
        self.logger = logger
        try Self.prepareDirectory(directory)
        try Self.prepareDirectory(directory + "/outputs")
        lockFD = try Self.takeLock(directory)
        Self.writeCacheDirTag(directory)
        let floor = minFreeBytes ?? Self.defaultFreeSpaceFloor(directory)
        space = CacheSpace(directory: directory, maxBytes: maxBytes, minFreeBytes: floor, logger: logger)
        loadEntries()
    }

    deinit {
        flush()
        close(lockFD)
    }

    // MARK: - Entries

    /// The entry for an output, creating it when new. An existing entry whose descriptor no
    /// longer describes the same bytes is discarded first.
    public func entry(for descriptor: OutputDescriptor) throws -> CachedOutput {
        // One at a time: two first opens of an output would otherwise both create its directory.
        try creating.withLock { _ in try findOrCreateEntry(for: descriptor) }
    }

    private func findOrCreateEntry(for descriptor: OutputDescriptor) throws -> CachedOutput {
        if let existing = entries.withLock({ $0[descriptor.key] }) {
            if existing.descriptor.describesSameBytes(as: descriptor) {
                existing.updateDescriptor { d in
                    d.jobDescriptionJSON = descriptor.jobDescriptionJSON ?? d.jobDescriptionJSON
                    d.contentType = descriptor.contentType ?? d.contentType
                    d.archiveDescription = descriptor.archiveDescription ?? d.archiveDescription
                    d.archiveId = descriptor.archiveId ?? d.archiveId
                }
                return existing
            }
            logger.warning(
                "the service describes a cached output differently now; discarding the old entry",
                metadata: ["output": "\(descriptor.key)"])
            remove(existing)
        }
        let created = try createEntry(descriptor)
        entries.withLock { $0[descriptor.key] = created }
        return created
    }

    public func existingEntry(for key: OutputKey) -> CachedOutput? { entries.withLock { $0[key] } }

    /// Every output the cache holds something of.
    public var allEntries: [CachedOutput] { entries.withLock { Array($0.values) } }

    private func createEntry(_ descriptor: OutputDescriptor) throws -> CachedOutput {
        let dir = outputsDirectory + "/" + descriptor.key.directoryName
        Self.removeTree(dir)
        guard mkdir(dir, 0o700) == 0 else { throw FileIO.Failure(operation: "mkdir", path: dir, code: errno) }
        let geometry = TreeGeometry(size: descriptor.size)
        let data = try FileIO.open(dir + "/data", O_RDWR | O_CREAT | O_TRUNC)
        defer { close(data) }
        guard ftruncate(data, off_t(descriptor.size)) == 0 else {
            throw FileIO.Failure(operation: "truncate", path: dir + "/data", code: errno)
        }
        let index = try FileIO.open(dir + "/index", O_RDWR | O_CREAT | O_TRUNC)
        defer { close(index) }
        try LeafIndexFile.header(outputSize: descriptor.size, leafCount: geometry.leafCount).withUnsafeBytes {
            try FileIO.pwriteAll(index, $0, at: 0, path: dir + "/index")
        }
        let indexSize = off_t(LeafIndexFile.headerSize + geometry.leafCount * LeafIndexFile.slotSize)
        guard ftruncate(index, indexSize) == 0 else {
            throw FileIO.Failure(operation: "truncate", path: dir + "/index", code: errno)
        }
        // meta.json last: an entry without it is an unfinished creation, removed at startup.
        try FileIO.writeAtomically(try OutputCacheCoding.encoder.encode(descriptor), to: dir + "/meta.json")
        let output = makeOutput(
            directory: dir, descriptor: descriptor,
            slots: Array(repeating: nil, count: geometry.leafCount))
        entriesById.withLock { $0[output.id] = output }
        return output
    }

    private func makeOutput(
        directory: String, descriptor: OutputDescriptor, slots: [LeafIndexFile.Slot?]
    ) -> CachedOutput {
        CachedOutput(
            id: nextId.wrappingAdd(1, ordering: .relaxed).oldValue, directory: directory,
            descriptor: descriptor, slots: slots, space: space,
            makeRoom: { [weak self] bytes in self?.makeRoom(bytes) ?? false })
    }

    /// Claims room for `bytes`, evicting least-recently-used leaves of any entry while over the
    /// budget or under the free-space floor. False when nothing more can be evicted.
    func makeRoom(_ bytes: Int64) -> Bool {
        while true {
            // statvfs outside the space's lock: readbacks on every thread take it to mark leaves used.
            switch space.reserve(bytes: bytes, freeDisk: space.freeDiskBytes()) {
            case .reserved:
                return true
            case .exhausted:
                return false
            case .evict(let output, let leaf):
                if let owner = entriesById.withLock({ $0[output] }), owner.forget(leaf) > 0 { space.countEviction() }
            }
        }
    }

    /// Records the verdict on an output's root. A mismatch drops everything cached of it and
    /// keeps the verdict, so the output is refused until a new job is retrieved.
    public func record(_ check: WholeOutputCheck, for output: CachedOutput) {
        switch check.result {
        case .matched: output.recordMatch(check)
        case .mismatched: output.dropAll(recording: check)
        }
    }

    /// Drops an entry and its files.
    public func remove(_ output: CachedOutput) {
        // First, so no flush of its metadata recreates a file in the directory being removed.
        output.retire()
        for leaf in output.cachedLeaves { output.forget(leaf) }
        unregister(output, removing: output.directory)
    }

    /// Takes an entry out of the tables, closes its files and removes its directory.
    private func unregister(_ output: CachedOutput, removing directory: String) {
        entries.withLock { $0[output.descriptor.key] = nil }
        entriesById.withLock { $0[output.id] = nil }
        output.closeFiles()
        Self.removeTree(directory)
    }

    /// Gives a complete, matched entry's data file to `path`, a new name on the same filesystem,
    /// instead of copying it (`glacierfs migrate` keeps the archive, not the cache entry), and
    /// drops the entry. False, with the entry as it was, when it is incomplete or unmatched or a
    /// step fails (EXDEV: another filesystem; EPERM: one without hard links).
    ///
    /// The entry is emptied first, under its lock and only if every leaf is still held, so no
    /// eviction, store or flush touches its files afterwards. Its directory then takes a
    /// temporary name before the data is linked to `path`, so whatever instant a crash comes, the
    /// next open either finds the entry whole and unlinked, or deletes the temporary directory;
    /// it never loads an entry whose data is also the user's file (and refuses any data file
    /// with a second link).
    public func handOver(_ output: CachedOutput, to path: String) -> Bool {
        guard output.wholeOutputCheck?.result == .matched, let held = output.detachAllLeaves() else { return false }
        let parked = outputsDirectory + "/.tmp-handover-" + output.descriptor.key.directoryName
        Self.removeTree(parked)
        unlink(path)
        guard rename(output.directory, parked) == 0 else {
            output.reattach(held)
            return false
        }
        guard link(parked + "/data", path) == 0 else {
            if rename(parked, output.directory) == 0 {
                output.reattach(held)
            } else {
                drop(output, directory: parked)
            }
            return false
        }
        drop(output, directory: parked)
        return true
    }

    /// Keeps an entry whole while it is read for a hand-over: its leaves are not evicted.
    public func pin(_ output: CachedOutput) { space.pin(output: output.id, leaves: output.cachedLeaves) }

    /// Ends `pin`; after a hand-over, there is nothing left to unpin.
    public func unpin(_ output: CachedOutput) { space.unpin(output: output.id, leaves: output.cachedLeaves) }

    /// Forgets a detached entry, its leaves' bytes and its directory.
    private func drop(_ output: CachedOutput, directory: String) {
        for leaf in 0 ..< output.geometry.leafCount {
            space.untrack(output: output.id, leaf: leaf, bytes: Int64(output.geometry.leafLength(leaf)))
        }
        space.unpin(output: output.id, leaves: [])
        unregister(output, removing: directory)
    }

    /// Whether `directory` is on the cache's filesystem, where `handOver` can give it a file.
    public func sharesFilesystem(with directory: String) -> Bool {
        var mine = stat()
        var theirs = stat()
        return stat(outputsDirectory, &mine) == 0 && stat(directory, &theirs) == 0 && mine.st_dev == theirs.st_dev
    }

    public var maxBytes: Int64 { space.maxBytes }

    /// Writes every changed `meta.json`.
    public func flush() {
        for output in allEntries { output.flushDescriptor() }
    }

    // MARK: - Reporting and maintenance

    public func usage() -> CacheUsage {
        CacheUsage(
            directory: directory, usedBytes: space.usedBytes, maxBytes: space.maxBytes,
            freeDiskBytes: space.freeDiskBytes(), outputs: allEntries.map(\.usage),
            corruptLeavesDropped: space.corruptionCount, writeFailures: space.writeFailureCount,
            evictions: space.evictionCount)
    }

    /// Evicts least-recently-used leaves until at most `bytes` remain.
    public func prune(toBytes bytes: Int64) {
        let all = allEntries.sorted { $0.descriptor.lastAccess < $1.descriptor.lastAccess }
        for output in all where space.usedBytes > bytes {
            for leaf in output.cachedLeaves where space.usedBytes > bytes { output.forget(leaf) }
            if output.cachedLeafCount == 0 && output.wholeOutputCheck?.result != .mismatched { remove(output) }
        }
    }

    public func clear() {
        for output in allEntries { remove(output) }
    }

    // MARK: - Startup

    private func loadEntries() {
        removeTemporaryFiles(in: directory)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: outputsDirectory) else { return }
        var loaded: [CachedOutput] = []
        for name in names {
            let dir = outputsDirectory + "/" + name
            if FileIO.isTemporaryName(name) {
                Self.removeTree(dir)
                continue
            }
            removeTemporaryFiles(in: dir)
            guard let (descriptor, slots) = Self.readEntry(dir), descriptor.key.directoryName == name else {
                logger.info("removing an unreadable cache entry", metadata: ["entry": "\(dir)"])
                Self.removeTree(dir)
                continue
            }
            Self.freeUnheldData(dir + "/data", geometry: TreeGeometry(size: descriptor.size), slots: slots)
            loaded.append(makeOutput(directory: dir, descriptor: descriptor, slots: slots))
        }
        // Oldest outputs first, so they are the first evicted.
        loaded.sort { $0.descriptor.lastAccess < $1.descriptor.lastAccess }
        for output in loaded {
            space.register(output: output.id, leavesOldestFirst: output.cachedLeaves, bytes: output.cachedBytes)
            entries.withLock { $0[output.descriptor.key] = output }
            entriesById.withLock { $0[output.id] = output }
        }
    }

    /// Frees data no slot names: leaves of a streamed node staged before a crash came between
    /// their write and their node's check. Nothing reads them; this gives their space back.
    static func freeUnheldData(_ path: String, geometry: TreeGeometry, slots: [LeafIndexFile.Slot?]) {
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        // SEEK_DATA and SEEK_HOLE (Linux's values): Glibc's module does not import them.
        let seekData: Int32 = 3
        let seekHole: Int32 = 4
        var at: off_t = 0
        while at < off_t(geometry.size) {
            let data = lseek(fd, at, seekData)
            guard data >= 0 else { return }  // ENXIO: no data after `at`
            let hole = lseek(fd, data, seekHole)
            guard hole > data else { return }
            let leaves = geometry.leaves(covering: Int64(data) ..< min(Int64(hole), geometry.size))
            for leaf in leaves {
                if case .cached? = slots[leaf] { continue }
                FileIO.punchHole(
                    fd, offset: off_t(Int64(leaf) * TreeGeometry.leafSize), length: off_t(TreeGeometry.leafSize))
            }
            at = hole
        }
    }

    private func removeTemporaryFiles(in dir: String) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where FileIO.isTemporaryName(name)
        {
            unlink(dir + "/" + name)
        }
    }

    /// Reads an entry's descriptor and valid leaf slots; nil if the entry is unusable.
    static func readEntry(_ dir: String) -> (OutputDescriptor, [LeafIndexFile.Slot?])? {
        guard let meta = FileManager.default.contents(atPath: dir + "/meta.json"),
            let descriptor = try? OutputCacheCoding.decoder.decode(OutputDescriptor.self, from: meta),
            descriptor.size >= 0
        else { return nil }
        let geometry = TreeGeometry(size: descriptor.size)
        guard let index = FileManager.default.contents(atPath: dir + "/index"),
            index.count == LeafIndexFile.headerSize + geometry.leafCount * LeafIndexFile.slotSize
        else { return nil }
        let bytes = [UInt8](index)
        guard
            LeafIndexFile.headerIsValid(
                bytes[0 ..< LeafIndexFile.headerSize], outputSize: descriptor.size,
                leafCount: geometry.leafCount)
        else { return nil }
        var st = stat()
        // A second link: the data was being handed over (to a migrated file) when power was lost.
        guard stat(dir + "/data", &st) == 0, Int64(st.st_size) == descriptor.size, st.st_nlink == 1 else {
            return nil
        }
        let slots: [LeafIndexFile.Slot?] = (0 ..< geometry.leafCount).map { leaf in
            let at = LeafIndexFile.headerSize + leaf * LeafIndexFile.slotSize
            return LeafIndexFile.decode(
                bytes[at ..< (at + LeafIndexFile.slotSize)], leaf: leaf,
                expectedLength: geometry.leafLength(leaf))
        }
        return (descriptor, slots)
    }

    // MARK: - Directory, lock and permissions

    static func prepareDirectory(_ path: String) throws(CacheError) {
        var st = stat()
        if stat(path, &st) != 0 {
            do {
                try FileManager.default.createDirectory(
                    atPath: path, withIntermediateDirectories: true,
                    attributes: [.posixPermissions: 0o700])
            } catch {
                throw .cannotCreate(path: path, reason: error.localizedDescription)
            }
            guard stat(path, &st) == 0 else { throw .cannotCreate(path: path, reason: "it vanished") }
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else { throw .cannotCreate(path: path, reason: "it is not a directory") }
        guard st.st_uid == geteuid() else { throw .notOwned(path: path) }
        if st.st_mode & 0o077 != 0 { chmod(path, 0o700) }  // a cache of private data is private
    }

    static func takeLock(_ directory: String) throws(CacheError) -> Int32 {
        let path = directory + "/lock"
        let fd = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .cannotCreate(path: path, reason: String(cString: strerror(errno))) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buffer, 32, 0)
            close(fd)
            let pid =
                n > 0
                ? Int32(
                    String(decoding: buffer[0 ..< n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
                : nil
            throw .inUse(directory: directory, pid: pid)
        }
        ftruncate(fd, 0)
        let text = Array("\(getpid())\n".utf8)
        _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        return fd
    }

    static func writeCacheDirTag(_ directory: String) {
        let path = directory + "/CACHEDIR.TAG"
        guard !FileManager.default.fileExists(atPath: path) else { return }
        let text =
            "Signature: 8a477f597d28d172789f06886806bc55\n# This directory is a glacierfs cache; backups may skip it.\n"
        try? FileIO.writeAtomically(Data(text.utf8), to: path)
    }

    /// The free space a cache leaves on its filesystem unless told otherwise: 5 %, at most 1 GiB.
    public static func defaultFreeSpaceFloor(_ directory: String) -> Int64 {
        var st = statvfs()
        guard statvfs(directory, &st) == 0 else { return 0 }
        let total = Int64(st.f_blocks) * Int64(st.f_frsize)
        return min(1 << 30, total / 20)
    }

    static func removeTree(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The default location: `$XDG_CACHE_HOME/glacierfs`, else `~/.cache/glacierfs`.
    public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") { return xdg + "/glacierfs" }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + "/.cache/glacierfs"
    }
}
