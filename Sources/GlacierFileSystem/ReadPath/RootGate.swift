import GlacierIntegrity
import OutputCache
import Synchronization

/// The whole-output check with teeth: holds the digest of every leaf verified so far (kept after
/// the leaf's bytes leave memory and the cache), and, when the last missing digest arrives,
/// compares their root with the job's SHA256TreeHash before that leaf may be served. So no
/// reader gets every byte of an output whose root does not match.
final class RootGate: Sendable {
    let expected: SHA256Digest
    private let state: Mutex<GateState>

    struct GateState {
        var digests: [SHA256Digest?]
        var known: Int
        var verdict: WholeOutputCheck?
    }

    /// What recording a node's digests decided.
    enum Outcome: Equatable {
        /// Digests are still missing (or the verdict was reached before): serve the leaves.
        case pending
        /// These leaves completed the set and the root matched: serve them.
        case matched(WholeOutputCheck)
        /// These leaves completed the set and the root does not match: serve nothing more.
        case mismatched(WholeOutputCheck)
    }

    init(expected: SHA256Digest, known: [SHA256Digest?], verdict: WholeOutputCheck?) {
        self.expected = expected
        state = Mutex(GateState(digests: known, known: known.reduce(0) { $0 + ($1 == nil ? 0 : 1) }, verdict: verdict))
    }

    var verdict: WholeOutputCheck? { state.withLock { $0.verdict } }

    /// Records verified digests from `first` on; returns the verdict if they completed the set.
    func record(from first: Int, _ digests: [SHA256Digest]) -> Outcome {
        state.withLock { s in
            var changed = false
            for (i, d) in digests.enumerated() where s.digests[first + i] != d {
                if s.digests[first + i] == nil { s.known += 1 }
                s.digests[first + i] = d
                changed = true
            }
            // The service vouched for other bytes than before: the old verdict no longer holds.
            if changed { s.verdict = nil }
            guard s.verdict == nil, s.known == s.digests.count, !s.digests.isEmpty else { return .pending }
            let root = TreeHash.root(of: s.digests.map { $0! })
            let check = WholeOutputCheck(
                result: root == expected ? .matched : .mismatched, computedRoot: root.hex,
                checkedAt: .now)
            s.verdict = check
            return check.result == .matched ? .matched(check) : .mismatched(check)
        }
    }

    /// Reaches a verdict from the digests already known, if they are all there and none was
    /// reached yet (an output completed before a crash recorded its verdict).
    func settle() -> Outcome {
        record(from: 0, [])
    }
}
