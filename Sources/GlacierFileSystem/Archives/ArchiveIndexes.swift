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
        enum Next { case known(Status), wait(Task<Status, Never>) }
        // Every lookup, stat and getxattr below archives/ asks: answer a settled status without a task.
        let next: Next = slots.withLock { table in
            if let slot = table[vault] {
                if let running = slot.building { return .wait(running) }
                switch slot.status {
                case .ready(let index)?: return .known(.ready(index))
                case .unavailable(let why)? where ContinuousClock.now - slot.checkedAt < .seconds(retrySeconds):
                    return .known(.unavailable(why))
                default: break
                }
            }
            let running = Task { await build() }
            table[vault] = Slot(status: table[vault]?.status, checkedAt: .now, building: running)
            return .wait(running)
        }
        guard case .wait(let task) = next else {
            if case .known(let status) = next { return status }
            fatalError("unreachable")
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
