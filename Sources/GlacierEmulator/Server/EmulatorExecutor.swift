import Foundation
import NIOCore
import WorkerPool

/// The threads every emulator in the process runs its tasks on, instead of Swift's shared pool
/// (one thread per core). An emulator embedded in a busy process must still answer: in a test
/// run whose CPU-bound tests held every thread of the shared pool for a minute, requests waited
/// over 30 s for the task that answers them, and their clients gave up. Standalone, it costs a
/// few idle threads.
final class EmulatorExecutor: TaskExecutor {
    static let shared = EmulatorExecutor(threads: max(4, ProcessInfo.processInfo.activeProcessorCount))

    private let threads: WorkerThreads

    private init(threads: Int) { self.threads = WorkerThreads(threads: threads, name: "glacier-emulator") }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        threads.run { job.runSynchronously(on: executor) }
    }
}

extension EmulatorExecutor {
    /// Sleeps until `deadline`, woken by `loop`. `Task.sleep` is woken through Swift's shared pool,
    /// which a busy process can hold, so a shaped answer would wait for it; an event loop's timer
    /// resumes the task on the emulator's threads. Throws when the task is cancelled.
    static func sleep(until deadline: ContinuousClock.Instant, on loop: any EventLoop) async throws {
        let delay = deadline - .now
        guard delay > .zero else { return }
        let timer = loop.scheduleTask(in: TimeAmount(delay)) {}
        try await withTaskCancellationHandler {
            try await timer.futureResult.get()
        } onCancel: {
            timer.cancel()
        }
    }
}
