import Foundation
import GlacierIntegrity
import OutputCache
import Synchronization

@testable import GlacierFileSystem

/// A disk-cache store whose staging writes can be held up, as a busy disk holds them, or
/// refused, as a full one refuses them; it records each staging write's leaves. Its records of
/// a whole output's verdict (a file synced) can be held up too.
final class BusyDisk: OutputStore {
    let base: any OutputStore
    private let state = Mutex(State())
    private let gate = DispatchSemaphore(value: 0)
    private let recordGate = DispatchSemaphore(value: 0)

    struct State {
        var writes: [Range<Int>] = []
        var holdNext = false
        var refused: Set<Int> = []
        var holdingRecords = false
        var recordsHeld = 0
        var losingRecords = false
    }

    init(_ base: any OutputStore) { self.base = base }

    /// The leaves of each staging write, in the order they began.
    var writes: [Range<Int>] { state.withLock { $0.writes } }

    /// The next staging write waits for `release()`.
    func holdNextWrite() { state.withLock { $0.holdNext = true } }
    func release() { gate.signal() }

    /// Each verdict's record waits until `releaseRecords()`.
    func holdRecords() { state.withLock { $0.holdingRecords = true } }
    var isHoldingRecords: Bool { state.withLock { $0.holdingRecords } }
    /// The records that were held up, or are.
    var recordsHeld: Int { state.withLock { $0.recordsHeld } }
    func releaseRecords() {
        let held = state.withLock { s in
            defer { s.holdingRecords = false }
            return s.holdingRecords ? s.recordsHeld : 0
        }
        for _ in 0 ..< held { recordGate.signal() }
    }

    /// Each verdict's record is lost, as to a crash before it reached the disk.
    func loseRecords() { state.withLock { $0.losingRecords = true } }

    /// A staging write with `leaf` in it fails.
    func refuse(_ leaf: Int) { state.withLock { _ = $0.refused.insert(leaf) } }

    func stage(from first: Int, _ leaves: [(bytes: UnsafeRawBufferPointer, digest: SHA256Digest)]) -> Int {
        let run = first ..< first + leaves.count
        let (hold, refuse) = state.withLock { s in
            s.writes.append(run)
            defer { s.holdNext = false }
            return (s.holdNext, run.contains { s.refused.contains($0) })
        }
        if hold { gate.wait() }
        return refuse ? 0 : base.stage(from: first, leaves)
    }

    func hasLeaf(_ leaf: Int) -> Bool { base.hasLeaf(leaf) }
    func readLeaf(_ leaf: Int, into buffer: UnsafeMutableRawBufferPointer, capacity: Int?) -> Bool {
        base.readLeaf(leaf, into: buffer, capacity: capacity)
    }
    func readBlocks(leaf: Int, range: Range<Int>, scratch: UnsafeMutableRawBufferPointer) -> Int? {
        base.readBlocks(leaf: leaf, range: range, scratch: scratch)
    }
    func store(from first: Int, _ leaves: [(bytes: UnsafeRawBufferPointer, record: LeafRecord)]) -> Int {
        base.store(from: first, leaves)
    }
    var knownDigests: [SHA256Digest?] { base.knownDigests }
    var wholeOutputCheck: WholeOutputCheck? { base.wholeOutputCheck }
    func record(_ check: WholeOutputCheck) {
        let (hold, lose) = state.withLock { s in
            if s.holdingRecords { s.recordsHeld += 1 }
            return (s.holdingRecords, s.losingRecords)
        }
        if hold { recordGate.wait() }
        if !lose { base.record(check) }
    }
    func recordResponseHeaders(contentType: String?, archiveDescription: String?) {
        base.recordResponseHeaders(contentType: contentType, archiveDescription: archiveDescription)
    }
    var canStage: Bool { base.canStage }
    func commitStaged(_ leaves: Range<Int>) -> Bool { base.commitStaged(leaves) }
    func abandonStaged(_ leaves: Range<Int>) { base.abandonStaged(leaves) }
}
