import ArchiveIndex
import Synchronization

/// Each vault's archive index for this mount: built once, on first use of `<vault>/archives/`,
/// from the newest inventory that can be read. While a vault has none, the reason is kept and the
/// question asked again after the listing TTL, so an inventory that completes later shows up.
final class ArchiveIndexes: Sendable {
    enum Status: Sendable {
        case ready(ArchiveIndex)
        /// Why `archives/` is empty, with what to do about it.
        case unavailable(String)
    }

    private struct Slot {
        var status: Status?
        var checkedAt: ContinuousClock.Instant
        var building: Task<Status, Never>?
    }

    private let slots = Mutex<[String: Slot]>([:])
    let retrySeconds: Double

    init(retrySeconds: Double) { self.retrySeconds = retrySeconds }

    /// The vault's status, running `build` when there is none yet (or the last one was "unavailable"
    /// and is older than the retry interval). Concurrent callers share one build.
    func status(vault: String, build: @escaping @Sendable () async -> Status) async -> Status {
        let task: Task<Status, Never> = slots.withLock { table in
            if let slot = table[vault] {
                if let running = slot.building { return running }
                switch slot.status {
                case .ready(let index)?: return Task { .ready(index) }
                case .unavailable(let why)? where ContinuousClock.now - slot.checkedAt < .seconds(retrySeconds):
                    return Task { .unavailable(why) }
                default: break
                }
            }
            let running = Task { await build() }
            table[vault] = Slot(status: table[vault]?.status, checkedAt: .now, building: running)
            return running
        }
        let status = await task.value
        slots.withLock { table in
            if table[vault]?.building != nil {
                table[vault] = Slot(status: status, checkedAt: .now, building: nil)
            }
        }
        return status
    }

    /// The status known now, without building.
    func current(vault: String) -> Status? { slots.withLock { $0[vault]?.status } }
}
