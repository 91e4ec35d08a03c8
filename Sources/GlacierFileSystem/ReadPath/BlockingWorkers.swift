import DequeModule
import Foundation
import Synchronization

/// A few threads for work that blocks on the disk (cache readback). Dispatch runs about one
/// blocking job per core, which leaves the disk idle while the CPU hashes; a handful of threads
/// keeps several reads in flight.
final class BlockingWorkers: Sendable {
    private let queue = Mutex(Deque<@Sendable () -> Void>())
    private let available = DispatchSemaphore(value: 0)
    /// Jobs queued or running.
    private let unfinished = Atomic<Int>(0)

    init(threads: Int, name: String) {
        for i in 0 ..< threads {
            let thread = Thread { [self] in
                while true {
                    available.wait()
                    if let job = queue.withLock({ $0.popFirst() }) {
                        job()
                        unfinished.subtract(1, ordering: .releasing)
                    }
                }
            }
            thread.name = "\(name)-\(i)"
            thread.start()
        }
    }

    func run(_ job: @escaping @Sendable () -> Void) {
        unfinished.add(1, ordering: .relaxed)
        queue.withLock { $0.append(job) }
        available.signal()
    }

    /// Waits (up to `timeout` seconds) until every job given so far has run; true if they all did.
    @discardableResult
    func waitUntilIdle(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while unfinished.load(ordering: .acquiring) > 0 {
            if Date() >= deadline { return false }
            usleep(5_000)
        }
        return true
    }
}
