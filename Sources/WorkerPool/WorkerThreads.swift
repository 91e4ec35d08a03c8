import DequeModule
import Foundation
import Synchronization

/// A fixed set of threads of our own that run jobs in the order given, for work that must not
/// wait on Swift's shared pool (one thread per core) or Dispatch's (about one blocking job per
/// core). The read path blocks on the disk with them, so several reads stay in flight while the
/// CPU hashes; the emulator runs its tasks on them, so it answers while its process is busy.
/// The threads live as long as the process.
public final class WorkerThreads: Sendable {
    private let queue = Mutex(Deque<@Sendable () -> Void>())
    private let available = DispatchSemaphore(value: 0)
    /// Jobs queued or running.
    private let unfinished = Atomic<Int>(0)

    public init(threads: Int, name: String) {
        for i in 0 ..< threads {
            let thread = Thread { [self] in
                while true {
                    available.wait()
                    // One signal per job, so a job is there.
                    guard let job = queue.withLock({ $0.popFirst() }) else { continue }
                    job()
                    unfinished.subtract(1, ordering: .releasing)
                }
            }
            thread.name = "\(name)-\(i)"
            thread.start()
        }
    }

    public func run(_ job: @escaping @Sendable () -> Void) {
        unfinished.add(1, ordering: .relaxed)
        queue.withLock { $0.append(job) }
        available.signal()
    }

    /// Waits (up to `timeout` seconds) until every job given so far has run; true if they all did.
    @discardableResult
    public func waitUntilIdle(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while unfinished.load(ordering: .acquiring) > 0 {
            if Date() >= deadline { return false }
            usleep(5_000)
        }
        return true
    }
}
