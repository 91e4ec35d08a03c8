import GlacierIntegrity
import HTTPTransport
import Synchronization

/// Where a streamed range's leaves go as they arrive: it lends a buffer for each leaf, and takes
/// each leaf back whole and hashed.
public protocol LeafSpill: Sendable {
    /// A buffer of at least a leaf for leaf `leaf`, or nil when none is free now: the transfer then
    /// pauses until a `keep` returns. Called on the transport's thread, so it must not block.
    /// A spill must be able to lend two at once: a piece of the body can straddle two leaves,
    /// and both buffers are needed before either is full.
    func buffer(for leaf: Int) -> UnsafeMutableRawBufferPointer?
    /// Runs `job` off the transport's thread; a job may block on a disk.
    func schedule(_ job: @escaping @Sendable () -> Void)
    /// Takes leaf `leaf` of the output, whose bytes (in the buffer lent for it) hash to `digest`;
    /// the range's checksum is not checked yet. False when it could not be kept. A spill may
    /// answer true and write the leaf later, within another `keep` of the same range (so before
    /// `drain` returns), keeping its buffer lent until then; it reports a failure by its own means.
    func keep(leaf: Int, bytes: UnsafeRawBufferPointer, digest: SHA256Digest) -> Bool
    /// The exchange is over, and its connection free, while the last leaves may still be on
    /// their way to the spill (hashed, kept): called at most once, before they are waited for.
    func transferEnded()
}

/// A leaf buffer lent to the transport and then to a spill job.
struct LentBuffer: @unchecked Sendable {  // The caller keeps the memory alive until every job on it ended.
    let bytes: UnsafeMutableRawBufferPointer
}

/// Takes a streamed range into buffers the spill lends leaf by leaf. Each full leaf is hashed
/// and handed back off the transport's thread; with no buffer free the transfer pauses until a
/// leaf is handed back, so memory stays at what the spill lends however large the range.
final class LeafStreamReceiver: BodyStream {
    let leaves: Range<Int>
    let geometry: TreeGeometry
    let spill: any LeafSpill
    private let state: Mutex<State>

    struct State {
        var lent: [(leaf: Int, buffer: LentBuffer)] = []
        var nextLeaf: Int
        var jobs = 0
        var digests: [SHA256Digest?]
        var unkept: Int?
        var starved = false
        var resume: (@Sendable () -> Void)?
        var drained: CheckedContinuation<Void, Never>?
    }

    /// What the spill jobs made of the leaves that arrived whole.
    struct Outcome {
        var digests: [SHA256Digest?]
        /// The first leaf the spill could not keep.
        var unkept: Int?
    }

    init(leaves: Range<Int>, geometry: TreeGeometry, spill: any LeafSpill) {
        self.leaves = leaves
        self.geometry = geometry
        self.spill = spill
        state = Mutex(State(nextLeaf: leaves.lowerBound, digests: Array(repeating: nil, count: leaves.count)))
    }

    func attach(resume: @escaping @Sendable () -> Void) { state.withLock { $0.resume = resume } }

    func nextBuffer() -> BodyStreamBuffer {
        state.withLock { s in
            guard s.nextLeaf < leaves.upperBound else { return .end }
            let length = geometry.leafLength(s.nextLeaf)
            guard let lent = spill.buffer(for: s.nextLeaf), lent.count >= length else {
                s.starved = true
                return .later
            }
            let buffer = LentBuffer(bytes: UnsafeMutableRawBufferPointer(rebasing: lent[0 ..< length]))
            s.lent.append((s.nextLeaf, buffer))
            s.nextLeaf += 1
            return .buffer(buffer.bytes)
        }
    }

    func bufferFilled() {
        let (leaf, buffer) = state.withLock { s in
            s.jobs += 1
            return s.lent.removeFirst()
        }
        spill.schedule { [self] in
            let bytes = UnsafeRawBufferPointer(buffer.bytes)
            let digest = SHA256.hash(bytes)
            let kept = spill.keep(leaf: leaf, bytes: bytes, digest: digest)
            let (resume, drained) = state.withLock { s in
                s.digests[leaf - leaves.lowerBound] = digest
                if !kept { s.unkept = min(s.unkept ?? leaf, leaf) }
                s.jobs -= 1
                let resume = s.starved ? s.resume : nil
                s.starved = false
                let drained = s.jobs == 0 ? s.drained : nil
                if drained != nil { s.drained = nil }
                return (resume, drained)
            }
            resume?()
            drained?.resume()
        }
    }

    /// Waits for every spill job; call once the exchange has ended, before the buffers are freed.
    /// A leaf lent a buffer and not handed back arrived short: the exchange failed.
    func drain() async -> Outcome {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s in
                if s.jobs == 0 { return true }
                s.drained = c
                return false
            }
            if now { c.resume() }
        }
        return state.withLock { Outcome(digests: $0.digests, unkept: $0.unkept) }
    }
}
