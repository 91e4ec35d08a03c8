import ArchiveIndex
import Foundation
import GlacierClient
import GlacierIntegrity
import GlacierModel
import Logging
import OutputCache
import Synchronization

/// The read-only filesystem of Glacier job outputs, independent of FUSE:
/// ```
/// /<vault>/jobs/<jobId>/output     the job's output (Succeeded jobs only)
/// /<vault>/jobs/<jobId>/job.json   the job description, and why there is no output if so
/// /<vault>/archives/<decoded path>  every archive under its recorded name (GlacierFileSystem+Archives)
/// ```
/// The FUSE adapter calls these methods and turns their results into replies.
public final class GlacierFileSystem: Sendable {
    public let configuration: FileSystemConfiguration
    let catalog: Catalog
    let inodes = InodeTable()
    let cache: OutputCache
    /// The read engine: every output's bytes come through it.
    let readers: OutputReaders
    let logger: Logger
    let mountedAt = Date()
    private let handles = Mutex<[UInt64: OpenHandle]>([:])
    private let nextHandle = Atomic<UInt64>(1)
    let archiveIndexes: ArchiveIndexes

    /// Outputs never change, so the kernel may keep their names and attributes this long.
    static let immutableSeconds = 3600.0
    /// job.json changes with the job's status.
    static let volatileSeconds = 1.0

    enum OpenHandle {
        case output(OutputHandle)
        case document([UInt8])
        case directory([DirectoryEntry])
    }

    public convenience init(
        client: GlacierClient, cache: OutputCache, configuration: FileSystemConfiguration,
        logger: Logger = Logger(label: "glacierfs.fs")
    ) {
        self.init(client: client, source: client, cache: cache, configuration: configuration, logger: logger)
    }

    /// With the engine's nodes from `source` (the client, or a test's in-memory service).
    init(
        client: GlacierClient, source: any JobOutputSource, cache: OutputCache, configuration: FileSystemConfiguration,
        logger: Logger
    ) {
        self.configuration = configuration
        self.cache = cache
        self.logger = logger
        self.catalog = Catalog(client: client, cache: cache, configuration: configuration, logger: logger)
        readers = OutputReaders(source: source, cache: cache, configuration: configuration, logger: logger)
        archiveIndexes = ArchiveIndexes(retrySeconds: configuration.listingTTLSeconds)
    }

    /// Loads the vault list once, so the first `ls` is quick and the mount can report whether
    /// the service was reachable; then lists each vault's jobs in the background, so the first
    /// look into a vault does not wait a round trip either.
    public func warmUp() async -> (vaults: Int, offline: Bool) {
        let vaults = await catalog.vaults()
        if !catalog.isOffline {
            catalog.listJobsAhead(vaults: vaults.keys.sorted())
            await confirmSlowRoundTrip(asking: vaults.keys.min())
        }
        return (vaults.count, catalog.isOffline)
    }

    /// Answers that may still show a quick round trip after a slow first one.
    static let roundTripConfirmations = 4
    /// The pause before each, so that a moment's load on this machine can pass.
    static let roundTripConfirmationPause: Duration = .milliseconds(25)

    /// One answer would decide whether the link is slow (and so the mount's readahead), and a busy
    /// machine can delay even a loopback answer past the threshold: a CI run under load mounted
    /// loopback with a slow link's readahead, and once more (2026-12-01) when two confirmations
    /// followed the first answer at once. So a slow first answer is confirmed by up to four more
    /// (DescribeVault, one small request each), spaced out; the quickest answer counts. On a real
    /// WAN the mount takes that much longer: four round trips and 0.1 s.
    private func confirmSlowRoundTrip(asking vault: String?) async {
        guard let vault else { return }
        for _ in 0 ..< Self.roundTripConfirmations where readers.roundTripIsSlow == true {
            try? await Task.sleep(for: Self.roundTripConfirmationPause)
            _ = try? await catalog.client.describeVault(vault)
        }
    }

    // MARK: - Names and attributes

    public func lookup(parent: UInt64, name: String) async -> Result<InodeAttributes, FileSystemError> {
        guard let parentKind = inodes.kind(of: parent) else { return .failure(.notFound) }
        guard parentKind.isDirectory else { return .failure(.notDirectory) }
        switch await child(of: parentKind, named: name) {
        case .success(let kind): return await attributes(of: kind)
        case .failure(let e): return .failure(e)
        }
    }

    /// How long the kernel may remember that `name` does not exist in `parent`.
    public func negativeCacheSeconds(parent: UInt64, name: String) -> Double {
        switch inodes.kind(of: parent) {
        case .root?: NameRules.couldBeVault(name) ? configuration.listingTTLSeconds : Self.immutableSeconds
        case .jobsDirectory?: NameRules.couldBeJobId(name) ? configuration.listingTTLSeconds : Self.immutableSeconds
        case .archiveDirectory?: configuration.listingTTLSeconds
        default: Self.immutableSeconds
        }
    }

    public func attributes(inode: UInt64) async -> Result<InodeAttributes, FileSystemError> {
        guard let kind = inodes.kind(of: inode) else { return .failure(.notFound) }
        return await attributes(of: kind)
    }

    private func child(of parent: InodeKind, named name: String) async -> Result<InodeKind, FileSystemError> {
        switch parent {
        case .root:
            guard NameRules.couldBeVault(name) else { return .failure(.notFound) }
            return await catalog.vaults()[name] != nil ? .success(.vault(name)) : .failure(.notFound)
        case .vault(let vault):
            if name == Self.archivesDirectoryName {
                return .success(.archiveDirectory(vault: vault, entry: ArchiveIndex.rootId))
            }
            return name == NameRules.jobsDirectoryName ? .success(.jobsDirectory(vault: vault)) : .failure(.notFound)
        case .jobsDirectory(let vault):
            guard NameRules.couldBeJobId(name) else { return .failure(.notFound) }
            return await catalog.jobs(vault: vault)[name] != nil
                ? .success(.jobDirectory(vault: vault, job: name)) : .failure(.notFound)
        case .jobDirectory(let vault, let job):
            if name == NameRules.jobDescriptionFileName { return .success(.jobDescription(vault: vault, job: job)) }
            if name == NameRules.outputFileName, await catalog.jobs(vault: vault)[job]?.outputShape != nil {
                return .success(.output(vault: vault, job: job))
            }
            return .failure(.notFound)
        case .archiveDirectory(let vault, let entry):
            return await archiveChild(vault: vault, parent: entry, named: name)
        case .output, .jobDescription, .archiveFile:
            return .failure(.notDirectory)
        }
    }

    private func attributes(of kind: InodeKind) async -> Result<InodeAttributes, FileSystemError> {
        let ino = inodes.inode(for: kind)
        func directory(_ modified: Date, _ seconds: Double) -> InodeAttributes {
            InodeAttributes(
                inode: ino, isDirectory: true, size: 0, permissions: 0o555, linkCount: 2, modified: modified,
                uid: configuration.uid, gid: configuration.gid, cacheSeconds: seconds)
        }
        func file(_ size: Int64, _ modified: Date, _ seconds: Double) -> InodeAttributes {
            InodeAttributes(
                inode: ino, isDirectory: false, size: size, permissions: 0o444, linkCount: 1, modified: modified,
                uid: configuration.uid, gid: configuration.gid, cacheSeconds: seconds)
        }
        switch kind {
        case .root:
            return .success(directory(mountedAt, configuration.listingTTLSeconds))
        case .vault(let v), .jobsDirectory(let v):
            guard let vault = await catalog.vaults()[v] else { return .failure(.notFound) }
            return .success(directory(vault.creationDate, configuration.listingTTLSeconds))
        case .jobDirectory(let v, let j):
            guard let job = await catalog.jobs(vault: v)[j] else { return .failure(.notFound) }
            return .success(
                directory(
                    job.job.creationDate.flatMap(GlacierTimestamp.parse) ?? job.completionDate,
                    configuration.listingTTLSeconds))
        case .output(let v, let j):
            guard let job = await catalog.jobs(vault: v)[j], let shape = job.outputShape else {
                return .failure(.notFound)
            }
            return .success(file(shape.size, job.completionDate, Self.immutableSeconds))
        case .jobDescription(let v, let j):
            guard let job = await catalog.jobs(vault: v)[j] else { return .failure(.notFound) }
            return .success(
                file(
                    Int64(JobDocument.render(job, verdict: verdict(of: job)).count), job.completionDate,
                    Self.volatileSeconds))
        case .archiveDirectory(let v, let e), .archiveFile(let v, let e):
            return await archiveAttributes(vault: v, entry: e, inode: ino)
        }
    }

    // MARK: - Directories

    public func openDirectory(inode: UInt64) async -> Result<UInt64, FileSystemError> {
        guard let kind = inodes.kind(of: inode) else { return .failure(.notFound) }
        guard kind.isDirectory else { return .failure(.notDirectory) }
        var children: [InodeKind] = []
        switch kind {
        case .root:
            children = await catalog.vaults().keys.sorted().map { .vault($0) }
        case .vault(let v):
            children = [.jobsDirectory(vault: v), .archiveDirectory(vault: v, entry: ArchiveIndex.rootId)]
        case .jobsDirectory(let v):
            children = await catalog.jobs(vault: v).values.sorted {
                $0.job.creationDate ?? "" < $1.job.creationDate ?? ""
            }
            .map { .jobDirectory(vault: v, job: $0.job.jobId) }
        case .jobDirectory(let v, let j):
            guard let job = await catalog.jobs(vault: v)[j] else { return .failure(.notFound) }
            children = [.jobDescription(vault: v, job: j)]
            if job.outputShape != nil { children.append(.output(vault: v, job: j)) }
        case .archiveDirectory(let v, let e):
            // Listed straight from the index, attributes and all.
            return .success(register(.directory(await archiveDirectoryEntries(vault: v, entry: e))))
        case .output, .jobDescription, .archiveFile:
            return .failure(.notDirectory)
        }
        var entries: [DirectoryEntry] = []
        for child in children {
            if case .success(let attributes) = await self.attributes(of: child) {
                entries.append(DirectoryEntry(name: Self.name(of: child), attributes: attributes))
            }
        }
        return .success(register(.directory(entries)))
    }

    public func directoryEntries(handle: UInt64) -> [DirectoryEntry]? {
        guard case .directory(let entries)? = handles.withLock({ $0[handle] }) else { return nil }
        return entries
    }

    static func name(of kind: InodeKind) -> String {
        switch kind {
        case .root: "/"
        case .vault(let v): v
        case .jobsDirectory: NameRules.jobsDirectoryName
        case .jobDirectory(_, let j): j
        case .output: NameRules.outputFileName
        case .jobDescription: NameRules.jobDescriptionFileName
        // Below archives/, names come from the index (see archiveDirectoryEntries).
        case .archiveDirectory(_, let entry): entry == ArchiveIndex.rootId ? archivesDirectoryName : ""
        case .archiveFile: ""
        }
    }

    // MARK: - Files

    /// What `open` tells the kernel.
    public struct OpenedFile: Sendable {
        public var handle: UInt64
        /// Keep the page cache across opens: the bytes never change.
        public var keepCache: Bool
        /// Bypass the page cache (for job.json, whose size changes).
        public var directIO: Bool
    }

    public func open(inode: UInt64, writable: Bool) async -> Result<OpenedFile, FileSystemError> {
        guard let kind = inodes.kind(of: inode) else { return .failure(.notFound) }
        if kind.isDirectory { return .failure(.isDirectory) }
        if writable { return .failure(.readOnly) }
        switch kind {
        case .jobDescription(let v, let j):
            guard let job = await catalog.jobs(vault: v)[j] else { return .failure(.notFound) }
            return .success(
                OpenedFile(
                    handle: register(.document(JobDocument.render(job, verdict: verdict(of: job)))), keepCache: false,
                    directIO: true))
        case .output(let v, let j):
            guard let job = await catalog.jobs(vault: v)[j], let shape = job.outputShape else {
                return .failure(.notFound)
            }
            return openOutput(job, shape)
        case .archiveFile(let v, let e):
            // The same reader and cache entry as the job's output: read through either, fetched once.
            return await archiveOutput(vault: v, entry: e).flatMap { openOutput($0.job, $0.shape) }
        default:
            return .failure(.notFound)
        }
    }

    private func openOutput(_ job: JobEntry, _ shape: JobOutputShape) -> Result<OpenedFile, FileSystemError> {
        let key = catalog.outputKey(vault: job.vault, jobId: job.job.jobId)
        switch readers.open(vault: job.vault, job: job.job, shape: shape, key: key) {
        case .success(let handle):
            if handle.reader.refusal() != nil, case .treeHash = shape.verification {
                // A root mismatch: refused at open, until a new job is retrieved.
                handle.close()
                return .failure(.io)
            }
            return .success(OpenedFile(handle: register(.output(handle)), keepCache: true, directIO: false))
        case .failure(let e):
            return .failure(e)
        }
    }

    /// Reads from an open file, calling `completion` exactly once (possibly before returning).
    public func read(handle: UInt64, offset: Int64, size: Int, completion: @escaping @Sendable (ReadOutcome) -> Void) {
        switch handles.withLock({ $0[handle] }) {
        case .output(let h)?:
            h.read(offset: offset, size: size, completion: completion)
        case .document(let bytes)?:
            let start = Int(min(Int64(bytes.count), max(0, offset)))
            let end = min(bytes.count, start + size)
            let buffer = NodeBuffer.unpooled(capacity: end - start)
            bytes[start ..< end].withUnsafeBytes { buffer.mutableBytes.copyMemory(from: $0) }
            completion(
                .data([
                    ByteSegment(
                        view: LeafView(node: buffer, offset: 0, length: end - start),
                        range: 0 ..< end - start)
                ]))
        default:
            completion(.failure(.fetchFailed("bad file handle \(handle)")))
        }
    }

    public func release(handle: UInt64) {
        if case .output(let h)? = handles.withLock({ $0.removeValue(forKey: handle) }) { h.close() }
    }

    private func register(_ handle: OpenHandle) -> UInt64 {
        let id = nextHandle.wrappingAdd(1, ordering: .relaxed).oldValue
        handles.withLock { $0[id] = handle }
        return id
    }

    /// The cache's record of an output's root check.
    func verdict(of job: JobEntry) -> WholeOutputCheck? {
        cache.existingEntry(for: catalog.outputKey(vault: job.vault, jobId: job.job.jobId))?.wholeOutputCheck
    }

    /// The shared reader of an output (for xattrs that need the response headers).
    func reader(for job: JobEntry, shape: JobOutputShape) -> Result<OutputReader, FileSystemError> {
        readers.reader(
            vault: job.vault, job: job.job, shape: shape,
            key: catalog.outputKey(vault: job.vault, jobId: job.job.jobId))
    }

    /// Writes changed cache metadata every `interval` seconds, so a crash loses little of it.
    /// (Leaves need no flush: their index slots are written as they are stored.)
    public func startPeriodicFlush(interval: Double = 30) {
        Task.detached { [cache] in
            while true {
                try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
                cache.flush()
            }
        }
    }

    /// Finishes the cache writes under way and flushes cache metadata; call before unmounting, so
    /// what was read before the unmount is there after the remount.
    public func shutdown() { readers.shutdown() }

    /// Whether the service's round trip, as its answers so far (`warmUp`'s) measured it, is a slow
    /// (WAN) link's; nil when nothing answered.
    public var roundTripIsSlow: Bool? { readers.roundTripIsSlow }

    /// Tells the read path the kernel's readahead for the mount: its reads in progress can hold
    /// that much memory (see `BufferPool.overdraft(forReadahead:)`).
    public func kernelReadahead(bytes: Int) { readers.services.pool.allowOverdraft(forReadahead: bytes) }

    var openHandleCount: Int { handles.withLock { $0.count } }
}
