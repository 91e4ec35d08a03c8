import GlacierIntegrity
import OutputCache
import Synchronization

/// An output store in memory: for an engine with no disk cache, and for tests that drive the
/// engine without a disk. It keeps what the disk cache keeps, with the same rules: digests
/// outlive evicted bytes, and a root mismatch drops everything.
final class MemoryOutputStore: OutputStore {
    private let state: Mutex<Stored>
    /// Leaves kept at most (the oldest stored goes first); nil for no limit.
    let capacityLeaves: Int?

    struct Stored {
        var leaves: [Int: [UInt8]] = [:]
        var order: [Int] = []
        var digests: [SHA256Digest?]
        var check: WholeOutputCheck?
        var contentType: String?
        var archiveDescription: String?
        var storeCalls = 0
    }

    init(leafCount: Int, capacityLeaves: Int? = nil) {
        self.capacityLeaves = capacityLeaves
        state = Mutex(Stored(digests: Array(repeating: nil, count: leafCount)))
    }

    func hasLeaf(_ leaf: Int) -> Bool { state.withLock { $0.leaves[leaf] != nil } }

    func readLeaf(_ leaf: Int, into buffer: UnsafeMutableRawBufferPointer, capacity: Int?) -> Bool {
        state.withLock { s in
            guard let bytes = s.leaves[leaf], bytes.count == buffer.count, let digest = s.digests[leaf] else {
                return false
            }
            bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
            return SHA256.hash(UnsafeRawBufferPointer(buffer)) == digest
        }
    }

    func readBlocks(leaf: Int, range: Range<Int>, scratch: UnsafeMutableRawBufferPointer) -> Int? {
        state.withLock { s in
            guard let bytes = s.leaves[leaf], range.upperBound <= bytes.count, scratch.count >= range.count else {
                return nil
            }
            bytes[range].withUnsafeBytes { scratch.copyMemory(from: $0) }
            return 0
        }
    }

    func store(from first: Int, _ leaves: [(bytes: UnsafeRawBufferPointer, record: LeafRecord)]) -> Int {
        state.withLock { s in
            s.storeCalls += 1
            guard s.check?.result != .mismatched else { return 0 }
            for (i, leaf) in leaves.enumerated() {
                if s.leaves[first + i] == nil { s.order.append(first + i) }
                s.leaves[first + i] = Array(leaf.bytes)
                s.digests[first + i] = leaf.record.digest
            }
            while let cap = capacityLeaves, s.order.count > cap { s.leaves[s.order.removeFirst()] = nil }
            return leaves.count
        }
    }

    var knownDigests: [SHA256Digest?] { state.withLock { $0.digests } }
    var wholeOutputCheck: WholeOutputCheck? { state.withLock { $0.check } }
    var heldLeafCount: Int { state.withLock { $0.leaves.count } }

    func record(_ check: WholeOutputCheck) {
        state.withLock { s in
            // A mismatch stands: a match recorded late does not undo it.
            guard s.check?.result != .mismatched || check.result == .mismatched else { return }
            s.check = check
            if check.result == .mismatched {
                s.leaves = [:]
                s.order = []
                s.digests = Array(repeating: nil, count: s.digests.count)
            }
        }
    }

    // Staging a node in memory would hold it whole: the engine fetches into memory instead.
    var canStage: Bool { false }
    func stage(from first: Int, _ leaves: [(bytes: UnsafeRawBufferPointer, digest: SHA256Digest)]) -> Int { 0 }
    func commitStaged(_ leaves: Range<Int>) -> Bool { false }
    func abandonStaged(_ leaves: Range<Int>) {}

    func recordResponseHeaders(contentType: String?, archiveDescription: String?) {
        state.withLock { s in
            s.contentType = s.contentType ?? contentType
            s.archiveDescription = s.archiveDescription ?? archiveDescription
        }
    }
}
