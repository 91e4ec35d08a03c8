import Synchronization

/// Counters for `glacierfs status` and the benchmark.
public final class ReadStatistics: Sendable {
    let bytesServed = Atomic<Int>(0)
    let leavesFromMemory = Atomic<Int>(0)
    let leavesFromDisk = Atomic<Int>(0)
    let blockReadsFromDisk = Atomic<Int>(0)
    let leavesFetched = Atomic<Int>(0)
    let bytesFetched = Atomic<Int>(0)
    let fetchFailures = Atomic<Int>(0)
    let readsFailed = Atomic<Int>(0)
    let fetchesInFlight = Atomic<Int>(0)
    let peakFetchesInFlight = Atomic<Int>(0)
    /// The summed duration of every GetJobOutput: over a span of time, divided by that span, the
    /// average number of connections busy.
    let fetchNanoseconds = Atomic<Int>(0)
    /// Prefetched leaves that memory dropped before any read used them.
    let droppedUnread = Atomic<Int>(0)
    /// Nodes that failed on the way and were fetched as their two children instead.
    let nodeSplits = Atomic<Int>(0)
    /// Bytes of broken transfers kept, and verified through their node's announced checksum.
    let bytesSalvaged = Atomic<Int>(0)
    /// Verified bytes handed to the cache writers and not yet written.
    let cacheWriteBytesPending = Atomic<Int>(0)
    /// Nodes streamed to the cache leaf by leaf rather than held in memory.
    let nodesStreamed = Atomic<Int>(0)
    /// Nodes cut smaller as they started, at the end of the work (`NodeFetcher.tailCut`).
    let tailCuts = Atomic<Int>(0)
    /// Streamed leaves that gave their memory to a leaf nearer the reader (`SpillRegistry`).
    let streamedLeavesYielded = Atomic<Int>(0)

    /// Counts a GetJobOutput starting.
    func fetchStarted() {
        let now = fetchesInFlight.add(1, ordering: .relaxed).newValue
        var peak = peakFetchesInFlight.load(ordering: .relaxed)
        while now > peak {
            let (exchanged, original) = peakFetchesInFlight.compareExchange(
                expected: peak, desired: now, ordering: .relaxed)
            if exchanged { break }
            peak = original
        }
    }

    func fetchEnded(after duration: Duration) {
        fetchesInFlight.subtract(1, ordering: .relaxed)
        let c = duration.components
        fetchNanoseconds.add(Int(c.seconds) * 1_000_000_000 + Int(c.attoseconds / 1_000_000_000), ordering: .relaxed)
    }

    public struct Snapshot: Sendable, Codable {
        public var bytesServed: Int
        public var leavesFromMemory: Int
        public var leavesFromDisk: Int
        public var blockReadsFromDisk: Int
        public var leavesFetched: Int
        public var bytesFetched: Int
        public var fetchFailures: Int
        public var readsFailed: Int
        /// The most GetJobOutput requests that were in flight at once.
        public var peakFetchesInFlight: Int
        /// Seconds spent in GetJobOutput requests, summed over all of them.
        public var fetchSeconds: Double
        /// Prefetched leaves dropped from memory before any read used them (too little memory
        /// for the readers' prefetch windows).
        public var prefetchedLeavesDroppedUnread: Int
        /// Nodes fetched as their two children after damage or a reset.
        public var nodeSplits: Int
        /// Bytes of broken transfers that were kept (not fetched again).
        public var bytesSalvaged: Int
        /// GetJobOutput requests in flight now.
        public var fetchesInFlight: Int
        /// Verified bytes waiting to be written to the cache now.
        public var cacheWriteBytesPending: Int
        /// Nodes streamed to the cache leaf by leaf (a slow link's large nodes).
        public var nodesStreamed: Int
        /// Nodes cut smaller at the end of the work, so the connections finish together.
        public var tailCuts: Int
        /// Streamed leaves held in memory that gave it to a leaf nearer the reader, to be read
        /// back from the cache when wanted.
        public var streamedLeavesYielded: Int
    }

    public var snapshot: Snapshot {
        Snapshot(
            bytesServed: bytesServed.load(ordering: .relaxed),
            leavesFromMemory: leavesFromMemory.load(ordering: .relaxed),
            leavesFromDisk: leavesFromDisk.load(ordering: .relaxed),
            blockReadsFromDisk: blockReadsFromDisk.load(ordering: .relaxed),
            leavesFetched: leavesFetched.load(ordering: .relaxed), bytesFetched: bytesFetched.load(ordering: .relaxed),
            fetchFailures: fetchFailures.load(ordering: .relaxed), readsFailed: readsFailed.load(ordering: .relaxed),
            peakFetchesInFlight: peakFetchesInFlight.load(ordering: .relaxed),
            fetchSeconds: Double(fetchNanoseconds.load(ordering: .relaxed)) / 1e9,
            prefetchedLeavesDroppedUnread: droppedUnread.load(ordering: .relaxed),
            nodeSplits: nodeSplits.load(ordering: .relaxed),
            bytesSalvaged: bytesSalvaged.load(ordering: .relaxed),
            fetchesInFlight: fetchesInFlight.load(ordering: .relaxed),
            cacheWriteBytesPending: cacheWriteBytesPending.load(ordering: .relaxed),
            nodesStreamed: nodesStreamed.load(ordering: .relaxed), tailCuts: tailCuts.load(ordering: .relaxed),
            streamedLeavesYielded: streamedLeavesYielded.load(ordering: .relaxed))
    }
}
