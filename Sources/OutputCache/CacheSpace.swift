import Foundation
import LRUOrder
import Logging
import Synchronization

/// The cache's accounting: bytes used against the budget and the free-space floor, and the
/// least-recently-used order of every cached leaf. It holds no entries: when room is short it
/// names a victim, and the owner of the entries forgets it.
final class CacheSpace: Sendable {
    let maxBytes: Int64
    let minFreeBytes: Int64
    let directory: String
    let logger: Logger
    private let state = Mutex(SpaceState())
    private let corruptions = Atomic<Int>(0)
    private let writeFailures = Atomic<Int>(0)
    private let evictions = Atomic<Int>(0)

    struct SpaceState {
        var usedBytes: Int64 = 0
        var lru = LRUTracker()
        var lastWriteFailureLog: Date = .distantPast
        /// Outputs whose leaves are kept out of the eviction order (an output being handed over).
        var pinned: Set<Int> = []
    }

    /// What a reservation needs next.
    enum Reservation: Equatable {
        case reserved
        /// Forget this leaf, then ask again.
        case evict(output: Int, leaf: Int)
        /// Nothing left to evict.
        case exhausted
    }

    init(directory: String, maxBytes: Int64, minFreeBytes: Int64, logger: Logger) {
        self.directory = directory
        self.maxBytes = maxBytes
        self.minFreeBytes = minFreeBytes
        self.logger = logger
    }

    func register(output: Int, leavesOldestFirst: [Int], bytes: Int64) {
        state.withLock { s in
            s.usedBytes += bytes
            for leaf in leavesOldestFirst { s.lru.touch(LRUTracker.key(output: output, leaf: leaf)) }
        }
    }

    var usedBytes: Int64 { state.withLock { $0.usedBytes } }
    var corruptionCount: Int { corruptions.load(ordering: .relaxed) }
    var writeFailureCount: Int { writeFailures.load(ordering: .relaxed) }
    var evictionCount: Int { evictions.load(ordering: .relaxed) }

    /// Claims room for `bytes` if it fits the budget and the free-space floor (`freeDisk` is
    /// measured by the caller, outside the lock); otherwise names the oldest leaf to evict.
    func reserve(bytes: Int64, freeDisk: Int64) -> Reservation {
        state.withLock { s in
            if s.usedBytes + bytes <= maxBytes && freeDisk - bytes >= minFreeBytes {
                s.usedBytes += bytes
                return .reserved
            }
            guard let key = s.lru.popOldest() else { return .exhausted }
            let (output, leaf) = LRUTracker.split(key)
            return .evict(output: output, leaf: leaf)
        }
    }

    func countEviction() { evictions.add(1, ordering: .relaxed) }

    func release(bytes: Int64) { state.withLock { $0.usedBytes -= bytes } }

    /// Marks a leaf as just stored or just used.
    func track(output: Int, leaf: Int) {
        state.withLock { s in
            guard !s.pinned.contains(output) else { return }
            s.lru.touch(LRUTracker.key(output: output, leaf: leaf))
        }
    }

    /// Keeps an output's leaves, those held and those stored later, from being evicted.
    func pin(output: Int, leaves: [Int]) {
        state.withLock { s in
            s.pinned.insert(output)
            for leaf in leaves { s.lru.remove(LRUTracker.key(output: output, leaf: leaf)) }
        }
    }

    /// Puts a pinned output's leaves back in the eviction order, as just used.
    func unpin(output: Int, leaves: [Int]) {
        state.withLock { s in
            guard s.pinned.remove(output) != nil else { return }
            for leaf in leaves { s.lru.touch(LRUTracker.key(output: output, leaf: leaf)) }
        }
    }

    func untrack(output: Int, leaf: Int, bytes: Int64) {
        state.withLock { s in
            s.lru.remove(LRUTracker.key(output: output, leaf: leaf))
            s.usedBytes -= bytes
        }
    }

    func freeDiskBytes() -> Int64 {
        var st = statvfs()
        guard statvfs(directory, &st) == 0 else { return .max }
        return Int64(st.f_bavail) * Int64(st.f_frsize)
    }

    func reportCorruption(leaf: Int, directory: String) {
        corruptions.add(1, ordering: .relaxed)
        logger.warning(
            "a cached leaf failed its check and was dropped; it will be fetched again",
            metadata: ["entry": "\(directory)", "leaf": "\(leaf)"])
    }

    func reportWriteFailure(_ error: any Error, directory: String) {
        writeFailures.add(1, ordering: .relaxed)
        let shouldLog = state.withLock { s -> Bool in
            guard Date().timeIntervalSince(s.lastWriteFailureLog) > 10 else { return false }
            s.lastWriteFailureLog = Date()
            return true
        }
        if shouldLog {
            logger.warning(
                "could not write to the cache; reads are served from memory meanwhile",
                metadata: ["entry": "\(directory)", "error": "\(error)"])
        }
    }
}
