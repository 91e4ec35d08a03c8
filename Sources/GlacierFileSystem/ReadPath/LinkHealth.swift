import Synchronization

/// How large a tree node the link currently carries whole. Damage and resets grow with the bytes
/// sent, so a node that fails its check halves the cap for every output; a run of clean fetches
/// doubles it back towards the configured maximum.
final class LinkHealth: Sendable {
    let maxNodeLeaves: Int
    /// Clean fetches in a row that earn a doubling.
    static let cleanRunToGrow = 8
    private let state: Mutex<(cap: Int, cleanRun: Int)>
    private let cleanTotal = Atomic<Int>(0)

    init(maxNodeLeaves: Int) {
        self.maxNodeLeaves = max(1, maxNodeLeaves)
        state = Mutex((self.maxNodeLeaves, 0))
    }

    var nodeLeafCap: Int { state.withLock { $0.cap } }

    func reportDamage() {
        state.withLock { s in
            s.cap = max(1, s.cap / 2)
            s.cleanRun = 0
        }
    }

    /// Clean fetches ever: a failure while this moves is the link's fault, not the output's.
    var cleanFetches: Int { cleanTotal.load(ordering: .relaxed) }

    func reportClean() {
        cleanTotal.add(1, ordering: .relaxed)
        state.withLock { s in
            s.cleanRun += 1
            if s.cleanRun >= Self.cleanRunToGrow && s.cap < maxNodeLeaves {
                s.cap *= 2
                s.cleanRun = 0
            }
        }
    }
}
