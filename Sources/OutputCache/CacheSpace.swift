import Foundation
import Logging
import Synchronization

/// Keeps the cache within its size budget and above a floor of free disk space, evicting the
/// least recently used leaves of any output to make room.
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
        var outputs: [Int: CachedOutput] = [:]
        var lastWriteFailureLog: Date = .distantPast
    }

    init(directory: String, maxBytes: Int64, minFreeBytes: Int64, logger: Logger) {
        self.directory = directory
        self.maxBytes = maxBytes
        self.minFreeBytes = minFreeBytes
        self.logger = logger
    }

    func register(_ output: CachedOutput, leavesOldestFirst: [Int], bytes: Int64) {
        state.withLock { s in
            s.outputs[output.id] = output
            s.usedBytes += bytes
            for leaf in leavesOldestFirst { s.lru.touch(LRUTracker.key(output: output.id, leaf: leaf)) }
        }
    }

    func unregister(_ output: CachedOutput) {
        _ = state.withLock { $0.outputs.removeValue(forKey: output.id) }
    }

    var usedBytes: Int64 { state.withLock { $0.usedBytes } }
    var corruptionCount: Int { corruptions.load(ordering: .relaxed) }
    var writeFailureCount: Int { writeFailures.load(ordering: .relaxed) }
    var evictionCount: Int { evictions.load(ordering: .relaxed) }

    /// Claims room for `bytes`, evicting old leaves while over budget or under the free-space
    /// floor. False when nothing more can be evicted.
    func reserve(bytes: Int64, for output: Int) -> Bool {
        enum Step { case reserved, exhausted, evict(CachedOutput, Int), ownerGone }
        while true {
            // statvfs outside the lock: readbacks on every thread take it to mark leaves used.
            let free = freeDiskBytes()
            let step: Step = state.withLock { s in
                if s.usedBytes + bytes <= maxBytes && free - bytes >= minFreeBytes {
                    s.usedBytes += bytes
                    return .reserved
                }
                guard let key = s.lru.popOldest() else { return .exhausted }
                let (outputId, leaf) = LRUTracker.split(key)
                guard let owner = s.outputs[outputId] else { return .ownerGone }
                return .evict(owner, leaf)
            }
            switch step {
            case .reserved: return true
            case .exhausted: return false
            case .ownerGone: continue
            case .evict(let owner, let leaf):
                // Outside the lock: forgetting a leaf takes it again to update the accounting.
                if owner.forget(leaf) > 0 { evictions.add(1, ordering: .relaxed) }
            }
        }
    }

    func release(bytes: Int64) { state.withLock { $0.usedBytes -= bytes } }

    /// Marks a leaf as just stored or just used.
    func track(output: Int, leaf: Int) { state.withLock { $0.lru.touch(LRUTracker.key(output: output, leaf: leaf)) } }

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

    func reportCorruption(output: Int, leaf: Int, directory: String) {
        corruptions.add(1, ordering: .relaxed)
        logger.warning("a cached leaf failed its check and was dropped; it will be fetched again",
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
            logger.warning("could not write to the cache; reads are served from memory meanwhile",
                           metadata: ["entry": "\(directory)", "error": "\(error)"])
        }
    }
}
