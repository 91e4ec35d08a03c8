import Foundation
import GlacierClient
import GlacierIntegrity
import GlacierModel
import Logging
import OutputCache
import Synchronization

/// The read engine's front door. It builds the engine once (memory, the fetch gates, the link's
/// health, the workers), opens outputs as handles that share one reader per output, drops a
/// reader after its last handle closes, and finishes the cache writes at shutdown.
///
/// The filesystem and `glacierfs migrate` both read through it, so both get the same parallel
/// tree-node requests, the same checks and the same cache.
public final class OutputReaders: Sendable {
    let services: ReadServices
    private let cache: OutputCache?
    private let registry = Mutex<[OutputKey: Registered]>([:])
    /// One id per output for the life of the engine, so a reopened output finds its leaves still
    /// in memory (they are keyed by it) after its previous reader was dropped.
    private let outputIds = Mutex<(ids: [OutputKey: Int], next: Int)>(([:], 1))
    /// Open handles: sequential readers share the memory budget and the connections as prefetch
    /// windows.
    private let openHandles = Atomic<Int>(0)

    struct Registered {
        let reader: OutputReader
        var handles: Int
    }

    /// An engine over `source`, with outputs kept in `cache` (or only in memory when nil).
    init(source: any JobOutputSource, cache: OutputCache?, configuration: FileSystemConfiguration, logger: Logger) {
        self.cache = cache
        let statistics = ReadStatistics()
        let memory = LeafMemory(statistics: statistics)
        let pool = BufferPool(
            budget: configuration.memoryBudgetBytes, reclaim: { memory.evictOldest() },
            reclaimRead: { memory.evictOldestRead() })
        let linkSpeed = LinkSpeed()
        services = ReadServices(
            source: source, pool: pool, memory: memory,
            limiter: FetchLimiter(slots: configuration.maxParallelFetches, linkSpeed: linkSpeed),
            linkHealth: LinkHealth(maxNodeLeaves: max(1, configuration.maxRequestBytes / TreeHash.leafSize)),
            linkSpeed: linkSpeed,
            writeBacklog: WriteBacklog(limit: max(16 << 20, configuration.memoryBudgetBytes / 4)),
            configuration: configuration, logger: logger, statistics: statistics,
            spills: SpillRegistry(statistics: statistics))
    }

    public convenience init(
        client: GlacierClient, cache: OutputCache, configuration: FileSystemConfiguration,
        logger: Logger = Logger(label: "glacierfs.read")
    ) {
        self.init(source: client, cache: cache, configuration: configuration, logger: logger)
    }

    public var statistics: ReadStatistics.Snapshot { services.statistics.snapshot }
    var configuration: FileSystemConfiguration { services.configuration }
    var maxRequestLeaves: Int { max(1, configuration.maxRequestBytes / TreeHash.leafSize) }

    // MARK: - Opening

    /// Opens a job's output for reading. `key` names its cache entry.
    public func open(
        vault: String, job: GlacierJobDescription, shape: JobOutputShape,
        key: OutputKey
    ) -> Result<OutputHandle, FileSystemError> {
        reader(vault: vault, job: job, shape: shape, key: key, retain: true).map { reader in
            openHandles.add(1, ordering: .relaxed)
            return OutputHandle(reader: reader, readers: self)
        }
    }

    /// The shared reader of an output, creating it (and its cache entry) on first use. Without
    /// `retain` (a look-up for xattrs) it holds no handle, and stays registered until a handle's
    /// last release drops it.
    func reader(
        vault: String, job: GlacierJobDescription, shape: JobOutputShape, key: OutputKey,
        retain: Bool = false
    ) -> Result<OutputReader, FileSystemError> {
        if let existing = registry.withLock({ table -> OutputReader? in
            guard let r = table[key] else { return nil }
            if retain { table[key]!.handles += 1 }
            return r.reader
        }) {
            return .success(existing)
        }
        let store: any OutputStore
        do {
            store = try makeStore(job: job, shape: shape, key: key)
        } catch {
            services.logger.error("cannot create a cache entry for vault \(vault) job \(job.jobId): \(error)")
            return .failure(.io)
        }
        return .success(
            registry.withLock { table in
                if table[key] != nil {
                    if retain { table[key]!.handles += 1 }
                    return table[key]!.reader
                }
                let id = outputIds.withLock { o -> Int in
                    if let known = o.ids[key] { return known }
                    defer { o.next += 1 }
                    o.ids[key] = o.next
                    return o.next
                }
                let reader = OutputReader(
                    id: id, vault: vault,
                    jobId: job.jobId, shape: shape, geometry: TreeGeometry(size: shape.size),
                    store: store, services: services)
                table[key] = Registered(reader: reader, handles: retain ? 1 : 0)
                return reader
            })
    }

    private func makeStore(job: GlacierJobDescription, shape: JobOutputShape, key: OutputKey) throws -> any OutputStore
    {
        guard let cache else { return MemoryOutputStore(leafCount: TreeGeometry(size: shape.size).leafCount) }
        let kind: OutputDescriptor.Kind =
            switch shape.verification {
            case .inventory: .inventory
            case .treeHash: .archive
            case .sizeOnly, .refused: .unverified
            }
        let descriptor = OutputDescriptor.forJob(
            job, key: key, size: shape.size, kind: kind,
            expectedTreeHash: shape.expectedTreeHash?.hex)
        return CachedOutputStore(cache: cache, entry: try cache.entry(for: descriptor))
    }

    /// Called when a handle closes: the reader goes after its last handle. Its leaves stay in
    /// memory, least recently used first out, for the next open of the same output.
    func release(_ handle: OutputHandle) {
        openHandles.subtract(1, ordering: .relaxed)
        registry.withLock { table in
            guard let entry = table.first(where: { $0.value.reader === handle.reader }) else { return }
            table[entry.key]!.handles -= 1
            if table[entry.key]!.handles <= 0 { table[entry.key] = nil }
        }
    }

    /// Memory kept out of the prefetch windows: for leaves fetched and not yet read, the cache
    /// writers' backlog and readbacks, so a full window does not make its own fetches wait.
    /// (At 16 MiB of a 160 MiB budget, a cold `cp` stalled with the pool full and no fetch in
    /// flight; 32 MiB has not.)
    var windowReserveBytes: Int { min(32 << 20, configuration.memoryBudgetBytes / 4) }

    /// Each sequential reader's prefetch window and the node size that fills it.
    ///
    /// A node fetched into memory is held whole from request to check, so there bytes in flight
    /// are nodes in flight × node size: a reader's window is its share of memory, cut into a node
    /// for each of its share of `--parallel-fetches` (a power of two, at least a leaf).
    ///
    /// On a slow link (`LinkSpeed`) that node can be too small to keep a connection busy: each
    /// request first waits a round trip. With a disk cache the nodes are then streamed to it leaf
    /// by leaf, so memory no longer bounds them: each is sized from the measured latency and
    /// rate, and the window holds two per connection, so a connection that finishes a node finds
    /// the next one while the reader waits on an earlier one.
    func prefetchPlan() -> PrefetchPlan {
        let active = max(1, openHandles.load(ordering: .relaxed))
        let share = min(
            configuration.maxPrefetchBytes,
            max(0, configuration.memoryBudgetBytes - windowReserveBytes) / active)
        let windowLeaves = max(1, share / TreeHash.leafSize)
        let connections = max(1, configuration.maxParallelFetches / active)
        let link = services.linkSpeed.estimate  // read once: this runs on every read
        // Unmeasured, a copy opens its window whole, as on a slow link: a remount reading its
        // disk cache measures nothing, and its window read back from the disk is then whole too.
        let inMemory = PrefetchPlan(
            windowLeaves: windowLeaves,
            nodeLeaves: TreeGeometry.previousPowerOfTwo(min(maxRequestLeaves, max(1, windowLeaves / connections))),
            connections: connections, opensWhole: link?.isSlow ?? true)
        // A slow link whose rate is not yet measured gets the largest nodes; its first download
        // measures the rate for the nodes decided after it.
        guard let cache,
            let wanted = link.map(\.wantedNodeLeaves) ?? (roundTripIsSlow == true ? maxRequestLeaves : nil)
        else { return inMemory }
        let node = min(TreeGeometry.previousPowerOfTwo(maxRequestLeaves), TreeGeometry.nextPowerOfTwo(wanted))
        guard node > inMemory.nodeLeaves else { return inMemory }
        // The window is disk: at most a quarter of the cache across readers.
        let diskShare = Int(min(Int64(configuration.maxPrefetchBytes), cache.maxBytes / 4 / Int64(active)))
        let window = max(node, min(2 * connections * node, diskShare / TreeHash.leafSize))
        return PrefetchPlan(
            windowLeaves: window, nodeLeaves: node, connections: connections, streamed: true,
            nearLeaves: min(Self.nearLeaves, windowLeaves))
    }

    /// Whether the link is slow as the service's answers other than job output (the listings a
    /// mount starts with) tell, before any download measured it: a copy that starts at once gets
    /// a slow link's streamed nodes without waiting for its head read to measure it. Nil when
    /// nothing answered yet.
    var roundTripIsSlow: Bool? { services.source.roundTripSeconds.map { $0 >= LinkSpeed.slowLinkLatency } }

    /// Leaves read back from the cache ahead of a streamed reader: enough to keep the kernel's
    /// reads from waiting on the disk.
    static let nearLeaves = 32

    // MARK: - Handing an output over

    /// Whether an output of `size` bytes, read whole, can be handed over to a file in
    /// `directory` instead of copied there: the cache is on that filesystem, and `copies` such
    /// outputs held at once (pinned while they are read) take at most half its budget.
    public func canHandOver(size: Int64, toDirectory directory: String, copies: Int) -> Bool {
        guard let cache else { return false }
        return size <= cache.maxBytes / Int64(2 * max(1, copies)) && cache.sharesFilesystem(with: directory)
    }

    /// Keeps the output's cache entry whole while it is read for a hand-over (no eviction).
    /// Undone by `handOver`, or by `abandonHandOver` on any other way out.
    public func prepareHandOver(_ handle: OutputHandle) {
        guard let cache, let store = handle.reader.store as? CachedOutputStore else { return }
        cache.pin(store.entry)
    }

    public func abandonHandOver(_ handle: OutputHandle) {
        guard let cache, let store = handle.reader.store as? CachedOutputStore else { return }
        cache.unpin(store.entry)
    }

    /// Gives the cached data of an output read whole, and matched, to `path` (see
    /// `OutputCache.handOver`), once the cache writers have put its last leaves on disk. False
    /// when it cannot: the caller copies instead.
    public func handOver(_ handle: OutputHandle, to path: String) async -> Bool {
        guard let cache, let store = handle.reader.store as? CachedOutputStore,
            registry.withLock({ $0.values.first { $0.reader === handle.reader }?.handles == 1 })
        else { return false }
        // The writes were queued before the bytes were published to the reader.
        while handle.reader.cacheWritesPending.load(ordering: .acquiring) > 0 {
            guard !Task.isCancelled else { return false }
            try? await Task.sleep(for: .milliseconds(2))
        }
        // The cache hands over only a complete entry with a matched root.
        return cache.handOver(store.entry, to: path)
    }

    var registeredReaderCount: Int { registry.withLock { $0.count } }
    var openHandleCount: Int { openHandles.load(ordering: .relaxed) }

    // MARK: - Shutdown

    /// Finishes the cache writes under way and flushes cache metadata, so what was read before
    /// an unmount is there after the remount.
    public func shutdown() {
        services.cacheWriters.waitUntilIdle(timeout: 60)
        cache?.flush()
    }
}
