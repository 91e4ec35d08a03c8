import Foundation
import GlacierEmulator
import GlacierTestSupport
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
        let status = Atomic<Int>(0)
    }

    @Test func anEmulatorAnswersWhileTheProcesssTasksHoldEveryThreadOfTheSharedPool() async throws {
        try await withEmulator { server, _ in
            // Tasks that spin on their threads without yielding or sleeping, as CPU-bound tests
            // do (a thread seen running is not replaced): one for each thread of the pool (as
            // wide as the machine's online processors) but the one this test runs on, which
            // spins too, from when they all run until the answer comes.
            let threads = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
            let hold = Hold()
            for _ in 1 ..< threads {
                Task.detached {
                    hold.holding.add(1, ordering: .relaxed)
                    while !hold.answered.load(ordering: .relaxed) {}
                }
            }
            // Other tests may hold threads for a while: the holders start as those come free.
            let start = ContinuousClock.now
            while hold.holding.load(ordering: .relaxed) < threads - 1 && ContinuousClock.now - start < .seconds(120) {}
            let held = hold.holding.load(ordering: .relaxed) == threads - 1
            // The request goes from a thread of its own. Without an answer in 20 s the holders
            // let go, so a failing run does not hang.
            let port = server.port
            Thread {
                let status = (try? RawHTTP.requestBlocking(port: port, method: "GET", path: "/-/vaults").status) ?? -1
                hold.status.store(status, ordering: .relaxed)
                hold.answered.store(true, ordering: .releasing)
            }.start()
            Thread {
                let asked = ContinuousClock.now
                while !hold.answered.load(ordering: .acquiring) && ContinuousClock.now - asked < .seconds(20) {
                    usleep(1000)
                }
                if !hold.answered.load(ordering: .acquiring) {
                    hold.gaveUp.store(true, ordering: .relaxed)
                    hold.answered.store(true, ordering: .releasing)
                }
            }.start()
            while !hold.answered.load(ordering: .acquiring) {}
            let gaveUp = hold.gaveUp.load(ordering: .relaxed)
            #expect(held, "every thread of the shared pool was held (\(threads - 1) tasks and this one)")
            #expect(!gaveUp, "the answer came while they held the pool, not after they let go")
            // A failed run's answer comes after the holders let go; wait for it.
            try await eventually(within: .seconds(40)) { hold.status.load(ordering: .relaxed) != 0 }
            #expect(hold.status.load(ordering: .relaxed) == 200, "the emulator answered")
        }
    }
}
