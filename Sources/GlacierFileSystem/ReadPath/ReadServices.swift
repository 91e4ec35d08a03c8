import Dispatch
import GlacierIntegrity
import Logging
import WorkerPool

/// What every output reader shares: the source of verified nodes, memory, the gates on fetching,
/// the link's health and the counters. Built once, by `OutputReaders`.
struct ReadServices: Sendable {
    let source: any JobOutputSource
    let pool: BufferPool
    let memory: LeafMemory
    let limiter: FetchLimiter
    let linkHealth: LinkHealth
    let linkSpeed: LinkSpeed
    /// Bytes waiting for the cache writers; fetches wait while it is full.
    let writeBacklog: WriteBacklog
    let configuration: FileSystemConfiguration
    let logger: Logger
    let statistics: ReadStatistics
    /// Where cached leaves are read back and checked ahead of a sequential reader. Enough threads
    /// to keep the disk's queue deep: a virtual disk reads 1 MiB direct reads about half again
    /// as fast eight at a time as one at a time.
    let diskWorkers = WorkerThreads(threads: 10, name: "glacierfs-readback")
    /// Where verified leaves are written to the cache: those writes block on the disk, and on the
    /// concurrency pool's two threads they would stall every fetch and hash meanwhile.
    let cacheWriters = WorkerThreads(threads: 3, name: "glacierfs-cache-write")
    /// Where streamed leaves are hashed and staged as they arrive, off the transport's thread.
    let spillWorkers = WorkerThreads(threads: 4, name: "glacierfs-stream")
    /// Streamed nodes in flight, so a leaf near its reader can take memory from one far ahead.
    let spills: SpillRegistry

    /// A leaf's buffer now, without waiting: free memory, else a leaf's that a reader has had,
    /// else that of a streamed leaf held farther ahead in the same output (it is on disk too).
    /// Nil when none of these is there.
    func bufferNow(output: Int, leaf: Int) -> NodeBuffer? {
        pool.tryAcquireReclaiming(capacity: TreeHash.leafSize) ?? spills.takeFarthest(output: output, beyond: leaf)
    }

    /// Writes verified bytes to the cache off the fetch path, counted in the backlog until done.
    func writeToCache(bytes: Int, _ job: @escaping @Sendable () -> Void) {
        writeBacklog.add(bytes)
        statistics.cacheWriteBytesPending.add(bytes, ordering: .relaxed)
        cacheWriters.run { [writeBacklog, statistics] in
            job()
            writeBacklog.remove(bytes)
            statistics.cacheWriteBytesPending.subtract(bytes, ordering: .relaxed)
        }
    }
}
