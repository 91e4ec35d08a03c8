import Foundation
import Synchronization
import Testing
import WorkerPool

/// The threads the read path blocks on the disk with, and the emulator runs its tasks on.
@Suite struct WorkerThreadsTests {
    @Test func oneThreadRunsItsJobsInTheOrderGiven() {
        let workers = WorkerThreads(threads: 1, name: "test-order")
        let order = Mutex<[Int]>([])
        for i in 0 ..< 200 { workers.run { order.withLock { $0.append(i) } } }
        #expect(workers.waitUntilIdle(timeout: 60))
        #expect(order.withLock { $0 } == Array(0 ..< 200))
    }

    @Test func aBlockedJobHoldsOnlyItsOwnThreadAndIsWaitedFor() {
        let workers = WorkerThreads(threads: 2, name: "test-blocked")
        let release = DispatchSemaphore(value: 0)
        let otherRan = DispatchSemaphore(value: 0)
        workers.run { release.wait() }
        workers.run { otherRan.signal() }
        #expect(otherRan.wait(timeout: .now() + 60) == .success, "the second thread runs the next job")
        #expect(!workers.waitUntilIdle(timeout: 0.2), "the held job is still unfinished")
        release.signal()
        #expect(workers.waitUntilIdle(timeout: 60))
    }
}
