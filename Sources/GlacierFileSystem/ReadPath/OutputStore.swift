import GlacierIntegrity
import OutputCache

/// The whole contract between the read engine and the disk cache for one output: what is held,
/// reading it back checked, storing verified leaves, and the digests and verdict of the root.
/// The engine knows nothing else of the cache, so it runs as well on an in-memory store.
protocol OutputStore: Sendable {
    /// Whether the leaf's verified bytes are held.
    func hasLeaf(_ leaf: Int) -> Bool
    /// Reads a whole leaf back, checked (by its block CRCs, or its SHA-256 without them); false on
    /// a miss or a failed check.
    func readLeaf(_ leaf: Int, into buffer: UnsafeMutableRawBufferPointer, capacity: Int?) -> Bool
    /// Reads part of a leaf by checked blocks; the offset of `range` in `scratch`, or nil.
    func readBlocks(leaf: Int, range: Range<Int>, scratch: UnsafeMutableRawBufferPointer) -> Int?
    /// Keeps consecutive verified leaves, each with the record made from its bytes as they were
    /// verified; returns how many were kept.
    @discardableResult
    func store(from first: Int, _ leaves: [(bytes: UnsafeRawBufferPointer, record: LeafRecord)]) -> Int
    /// The digest each leaf was verified with, kept after its bytes are evicted.
    var knownDigests: [SHA256Digest?] { get }
    /// The verdict on the whole output's root, once reached.
    var wholeOutputCheck: WholeOutputCheck? { get }
    /// Records the verdict; a mismatch drops every byte held.
    func record(_ check: WholeOutputCheck)
    /// Keeps what only GetJobOutput's headers tell.
    func recordResponseHeaders(contentType: String?, archiveDescription: String?)

    // Streamed nodes: their leaves are written as they arrive and held only once the node is verified.
    /// Whether leaves can be staged here (on a disk): in memory they would be the node held whole.
    var canStage: Bool { get }
    /// Writes consecutive leaves of a node not yet verified in one write, all or none; they are
    /// not held, and a crash forgets them. Returns how many were written.
    func stage(from first: Int, _ leaves: [(bytes: UnsafeRawBufferPointer, digest: SHA256Digest)]) -> Int
    /// Holds the staged leaves of a verified node; false (all abandoned) when it cannot.
    func commitStaged(_ leaves: Range<Int>) -> Bool
    func abandonStaged(_ leaves: Range<Int>)
}

/// A disk-cache entry as the engine's store.
struct CachedOutputStore: OutputStore {
    let cache: OutputCache
    let entry: CachedOutput

    func hasLeaf(_ leaf: Int) -> Bool { entry.hasLeaf(leaf) }

    func readLeaf(_ leaf: Int, into buffer: UnsafeMutableRawBufferPointer, capacity: Int?) -> Bool {
        entry.readLeaf(leaf, into: buffer, capacity: capacity)
    }

    func readBlocks(leaf: Int, range: Range<Int>, scratch: UnsafeMutableRawBufferPointer) -> Int? {
        entry.readBlocks(leaf: leaf, range: range, scratch: scratch)
    }

    func store(from first: Int, _ leaves: [(bytes: UnsafeRawBufferPointer, record: LeafRecord)]) -> Int {
        entry.store(from: first, leaves)
    }

    var knownDigests: [SHA256Digest?] { entry.knownDigests }
    var wholeOutputCheck: WholeOutputCheck? { entry.wholeOutputCheck }

    func record(_ check: WholeOutputCheck) { cache.record(check, for: entry) }

    var canStage: Bool { true }

    func stage(from first: Int, _ leaves: [(bytes: UnsafeRawBufferPointer, digest: SHA256Digest)]) -> Int {
        entry.stage(from: first, leaves)
    }

    func commitStaged(_ leaves: Range<Int>) -> Bool { entry.commitStaged(leaves) }
    func abandonStaged(_ leaves: Range<Int>) { entry.abandonStaged(leaves) }

    func recordResponseHeaders(contentType: String?, archiveDescription: String?) {
        entry.updateDescriptor { d in
            d.archiveDescription = d.archiveDescription ?? archiveDescription ?? ""
            d.contentType = d.contentType ?? contentType
        }
    }
}
