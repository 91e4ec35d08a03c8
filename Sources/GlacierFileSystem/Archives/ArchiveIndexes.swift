import ArchiveIndex
import Synchronization

/// Each vault's archive index for this mount: built once, on first use of `<vault>/archives/`,
/// from the newest inventory that can be read. While a vault has none, the reason is kept and the
/// question asked again after the listing TTL, so an inventory that completes later shows up. Once
/// a vault has an index, the same interval decides when to look for a newer inventory: one that
/// completes during the mount is indexed in the background and then replaces the old view.
final class ArchiveIndexes: Sendable {
    enum Status: Sendable {
        case ready(ArchiveIndex)
        /// Why `archives/` is empty, with what to do about it.
        case unavailable(String)
    }

    /// What a look for a newer inventory found.
    enum Refresh: Sendable {
        case unchanged
        case replaced(ArchiveIndex)
        /// This inventory job cannot be used; it is not tried again during this mount.
        case refused(jobId: String)
    }

    private struct Slot {
        var status: Status?
        var checkedAt: ContinuousClock.Instant
        var building: Task<Status, Never>?
        var refreshing = false
        var refused: Set<String> = []
    }

    private let slots = Mutex<[String: Slot]>([:])
    let retrySeconds: Double

    init(retrySeconds: Double) { self.retrySeconds = retrySeconds }

    /// The vault's status, running `build` when there is none yet (or the last one was "unavailable"
    /// and is older than the retry interval). Concurrent callers share one build. A ready index
    /// older than the interval is answered at once, while `refresh` looks for a newer one.
    func status(
        vault: String, build: @escaping @Sendable () async -> Status,
        refresh: @escaping @Sendable (_ current: ArchiveIndex, _ refused: Set<String>) async -> Refresh
    ) async -> Status {
        enum Next { case known(Status), wait(Task<Status, Never>), refresh(ArchiveIndex, Set<String>) }
        // Every lookup, stat and getxattr below archives/ asks: answer a settled status without a task.
        let next: Next = slots.withLock { table in
            if let slot = table[vault] {
                if let running = slot.building { return .wait(running) }
                let due = ContinuousClock.now - slot.checkedAt >= .seconds(retrySeconds)
                switch slot.status {
                case .ready(let index)?:
                    guard due, !slot.refreshing else { return .known(.ready(index)) }
                    table[vault]!.refreshing = true
                    table[vault]!.checkedAt = .now
                    return .refresh(index, slot.refused)
                case .unavailable(let why)? where !due:
                    return .known(.unavailable(why))
                default: break
                }
            }
            let running = Task { await build() }
            table[vault] = Slot(status: table[vault]?.status, checkedAt: .now, building: running)
            return .wait(running)
        }
        switch next {
        case .known(let status):
            return status
        case .refresh(let index, let refused):
            Task {
                let found = await refresh(index, refused)
                slots.withLock { table in
                    table[vault]?.refreshing = false
                    table[vault]?.checkedAt = .now
                    switch found {
                    case .unchanged: break
                    case .replaced(let newer): table[vault]?.status = .ready(newer)
                    case .refused(let jobId): table[vault]?.refused.insert(jobId)
                    }
                }
            }
            return .ready(index)
        case .wait(let task):
            let status = await task.value
            slots.withLock { table in
                if table[vault]?.building != nil {
                    table[vault] = Slot(
                        status: status, checkedAt: .now, building: nil, refused: table[vault]?.refused ?? [])
                }
            }
            return status
        }
    }

    /// The status known now, without building.
    func current(vault: String) -> Status? { slots.withLock { $0[vault]?.status } }
}
