import Foundation
import GlacierEmulator
import Synchronization
import Testing

/// An emulator embedded in a busy process (a test run, the demo's daemon) still answers: its
/// tasks run on threads of its own, not on Swift's shared pool, which the process's own work can
/// hold whole. In a test run whose CPU-bound tests held that pool for a minute, requests to the
/// emulators of other tests went unanswered for over 30 s, and those tests failed.
@Suite struct BusyProcessTests {
    /// What the tasks holding the pool and this test tell each other.
    final class Hold: Sendable {
        let holding = Atomic<Int>(0)
        let answered = Atomic<Bool>(false)
        let gaveUp = Atomic<Bool>(false)
    }

    @Test func anEmulatorAnswersWhileTheProcesssTasksHoldEveryThreadOfTheSharedPool() async throws {
        try await withEmulator { server, _ in
            // Tasks that hold their threads without yielding, as CPU-bound tests do: one for each
            // thread of the pool (as wide as the machine's online processors) but the one this
            // test runs on, which it holds too, from when they all run until the answer comes.
            let threads = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
            let hold = Hold()
            for _ in 1 ..< threads {
                Task.detached {
                    hold.holding.add(1, ordering: .relaxed)
                    while !hold.answered.load(ordering: .relaxed) { usleep(1000) }
                }
            }
            // Other tests may hold threads for a while: the holders start as those come free.
            let start = ContinuousClock.now
            while hold.holding.load(ordering: .relaxed) < threads - 1 && ContinuousClock.now - start < .seconds(120) {
                usleep(1000)
            }
            let held = hold.holding.load(ordering: .relaxed) == threads - 1
            // Without an answer in 20 s the holders let go, so a failing run does not hang.
            let deadline = Thread {
                let asked = ContinuousClock.now
                while !hold.answered.load(ordering: .relaxed) && ContinuousClock.now - asked < .seconds(20) {
                    usleep(1000)
                }
                if !hold.answered.load(ordering: .relaxed) {
                    hold.gaveUp.store(true, ordering: .relaxed)
                    hold.answered.store(true, ordering: .relaxed)
                }
            }
            deadline.start()
            let answer = Result { try RawHTTP.requestBlocking(port: server.port, method: "GET", path: "/-/vaults") }
            let gaveUp = hold.gaveUp.load(ordering: .relaxed)
            hold.answered.store(true, ordering: .relaxed)
            #expect(held, "every thread of the shared pool was held (\(threads - 1) tasks and this one)")
            #expect(!gaveUp, "the answer came while they held the pool, not after they let go")
            let status = try answer.get().status
            #expect(status == 200, "the emulator answered")
        }
    }
}
