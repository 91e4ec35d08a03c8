import CPlatformSupport
import Foundation
import GlacierIntegrity
import Synchronization

/// The cache entry of one job output: a sparse data file the size of the output, and the leaf
/// index saying which leaves hold verified bytes, and the digest every leaf was verified with,
/// kept after its data is evicted so the whole output's root can still be checked.
public final class CachedOutput: Sendable {
    public let id: Int
    public let geometry: TreeGeometry
    let directory: String
    private let files = Mutex<EntryFiles?>(nil)
    /// Set when the entry is removed; its directory is then no longer written.
    private let retired = Mutex(false)
    private let state: Mutex<EntryState>
    private let space: CacheSpace
    /// Makes room for new bytes by evicting leaves of any entry: the owner of the entries does it.
    private let makeRoom: @Sendable (Int64) -> Bool

    struct EntryState {
        var descriptor: OutputDescriptor
        var leaves: [LeafRecord?]
        /// The verified digest of every leaf seen, cached or evicted.
        var digests: [SHA256Digest?]
        var cachedCount = 0
        var knownDigestCount = 0
        var descriptorDirty = false
        /// Being handed over: its files are no longer written.
        var detached = false
        /// Leaves written by `stage` and not yet committed or abandoned; their space is reserved.
        var staged: [Int: LeafRecord] = [:]
    }

    init(
        id: Int, directory: String, descriptor: OutputDescriptor, slots: [LeafIndexFile.Slot?], space: CacheSpace,
        makeRoom: @escaping @Sendable (Int64) -> Bool
    ) {
        self.id = id
        self.directory = directory
        self.geometry = TreeGeometry(size: descriptor.size)
        self.space = space
        self.makeRoom = makeRoom
        var s = EntryState(
            descriptor: descriptor, leaves: Array(repeating: nil, count: slots.count),
            digests: Array(repeating: nil, count: slots.count))
        for (leaf, slot) in slots.enumerated() {
            switch slot {
            case .cached(let record)?:
                s.leaves[leaf] = record
                s.digests[leaf] = record.digest
                s.cachedCount += 1
                s.knownDigestCount += 1
            case .digestOnly(let digest)?:
                s.digests[leaf] = digest
                s.knownDigestCount += 1
            case nil:
                break
            }
        }
        self.state = Mutex(s)
    }

    public var descriptor: OutputDescriptor { state.withLock { $0.descriptor } }
    public var cachedLeafCount: Int { state.withLock { $0.cachedCount } }
    public var isComplete: Bool { state.withLock { $0.cachedCount == geometry.leafCount } }
    public func hasLeaf(_ leaf: Int) -> Bool { state.withLock { $0.leaves[leaf] != nil } }
    public func record(_ leaf: Int) -> LeafRecord? { state.withLock { $0.leaves[leaf] } }

    /// The verified digest of every leaf seen so far, nil where a leaf was never fetched.
    public var knownDigests: [SHA256Digest?] { state.withLock { $0.digests } }
    public var knownDigestCount: Int { state.withLock { $0.knownDigestCount } }

    /// The recorded verdict on the whole output's root, if one was reached.
    public var wholeOutputCheck: WholeOutputCheck? { state.withLock { $0.descriptor.wholeOutputCheck } }

    /// The leaves held, in order.
    public var cachedLeaves: [Int] {
        state.withLock { s in s.leaves.indices.filter { s.leaves[$0] != nil } }
    }

    var cachedBytes: Int64 {
        state.withLock { s in s.leaves.reduce(Int64(0)) { $0 + Int64($1?.length ?? 0) } }
    }

    // MARK: - Reading

    /// Reads a whole leaf into `buffer` and checks it (`LeafRecord.readBackMatches`): by the CRCs
    /// of its blocks, which catch what a disk does to bytes at a tenth of the hash's cost, so a
    /// remount reads at the disk's speed. The CRCs were taken from the bytes as they were verified
    /// (see `store(from:_:)`), so bytes changed since fail them; `glacierfs cache verify` re-hashes
    /// every leaf. A 4 KiB-aligned buffer of a whole leaf's capacity is read with O_DIRECT (no copy
    /// through the page cache). False when the leaf is not cached or fails its check, in which
    /// case it is dropped so it is fetched again.
    public func readLeaf(_ leaf: Int, into buffer: UnsafeMutableRawBufferPointer, capacity: Int? = nil) -> Bool {
        guard let record = record(leaf), buffer.count == record.length else { return false }
        let offset = off_t(Int64(leaf) * TreeGeometry.leafSize)
        let wholeBlocks = (record.length + 4095) / 4096 * 4096
        let ok =
            withFiles { f in
                guard let capacity, capacity >= wholeBlocks else { return FileIO.preadAll(f.data, buffer, at: offset) }
                // O_DIRECT moves whole blocks: ask for the rounded-up length, need the real one.
                let rounded = UnsafeMutableRawBufferPointer(start: buffer.baseAddress, count: wholeBlocks)
                return FileIO.preadAtLeast(
                    f.leafDescriptor(for: UnsafeRawBufferPointer(rounded)), rounded, record.length, at: offset)
            } ?? false
        let bytes = UnsafeRawBufferPointer(buffer)
        guard ok, record.readBackMatches(bytes) else {
            dropCorrupt(leaf, expected: record)
            return false
        }
        space.track(output: id, leaf: leaf)
        return true
    }

    /// Reads `range` (offsets within the leaf) by whole 64 KiB blocks, checking each block's
    /// CRC-32C, into `scratch` (at least the blocks' size). Returns the requested bytes' offset
    /// inside `scratch`, or nil on a miss or a failed check.
    public func readBlocks(leaf: Int, range: Range<Int>, scratch: UnsafeMutableRawBufferPointer) -> Int? {
        guard let record = record(leaf), record.hasBlockChecksums, range.upperBound <= record.length,
            !range.isEmpty
        else { return nil }
        let firstBlock = range.lowerBound / LeafRecord.blockSize
        let lastBlock = (range.upperBound - 1) / LeafRecord.blockSize
        let start = firstBlock * LeafRecord.blockSize
        let end = min((lastBlock + 1) * LeafRecord.blockSize, record.length)
        guard scratch.count >= end - start else { return nil }
        let target = UnsafeMutableRawBufferPointer(rebasing: scratch[0 ..< (end - start)])
        let ok =
            withFiles { f in
                FileIO.preadAll(f.data, target, at: off_t(Int64(leaf) * TreeGeometry.leafSize + Int64(start)))
            } ?? false
        guard ok else { return nil }
        for block in firstBlock ... lastBlock {
            let from = block * LeafRecord.blockSize - start
            let to = min(from + LeafRecord.blockSize, end - start)
            if CRC32C.checksum(UnsafeRawBufferPointer(rebasing: target[from ..< to])) != record.blockCRCs[block] {
                dropCorrupt(leaf, expected: record)
                return nil
            }
        }
        space.track(output: id, leaf: leaf)
        return range.lowerBound - start
    }

    /// Reads a cached leaf back and checks it against both its SHA-256 and its block CRCs,
    /// dropping it if either fails: the full audit of `glacierfs cache verify`. `scratch` must
    /// hold a leaf.
    public func auditLeaf(_ leaf: Int, scratch: UnsafeMutableRawBufferPointer) -> Bool {
        guard let record = record(leaf), scratch.count >= record.length else { return false }
        let buffer = UnsafeMutableRawBufferPointer(rebasing: scratch[0 ..< record.length])
        let ok =
            withFiles { f in FileIO.preadAll(f.data, buffer, at: off_t(Int64(leaf) * TreeGeometry.leafSize)) } ?? false
        let bytes = UnsafeRawBufferPointer(buffer)
        guard ok, record.hashMatches(bytes), record.blocksMatch(bytes) else {
            dropCorrupt(leaf, expected: record)
            return false
        }
        return true
    }

    /// Forgets a leaf whose bytes failed their check. If it was evicted meanwhile, that explains
    /// the failure and nothing is reported.
    private func dropCorrupt(_ leaf: Int, expected: LeafRecord) {
        let stillThere = state.withLock { $0.leaves[leaf] == expected }
        guard stillThere else { return }
        space.reportCorruption(leaf: leaf, directory: directory)
        _ = forget(leaf)
    }

    // MARK: - Writing

    /// Stores a verified leaf: data first, then its index slot. Makes room by evicting
    /// least-recently-used leaves first. Returns false when the leaf could not be kept (cache
    /// too small, disk full): the caller still has the bytes and serves them from memory.
    @discardableResult
    public func store(leaf: Int, bytes: UnsafeRawBufferPointer, digest: SHA256Digest) -> Bool {
        store(from: leaf, [(bytes, LeafRecord(digest: digest, verifiedBytes: bytes))]) == 1
    }

    /// Stores consecutive verified leaves (a fetched tree node) with one vectored write of their
    /// data and one write of their slots: the disk takes one large direct write several times
    /// faster than many 1 MiB ones. Each record must have been made from its bytes as they were
    /// verified (`LeafRecord(digest:verifiedBytes:)`), so bytes changed since fail their CRCs
    /// when read back. Returns how many were stored.
    @discardableResult
    public func store(from first: Int, _ leaves: [(bytes: UnsafeRawBufferPointer, record: LeafRecord)]) -> Int {
        let fits =
            first >= 0 && first + leaves.count <= geometry.leafCount
            && leaves.enumerated().allSatisfy {
                $1.bytes.count == geometry.leafLength(first + $0) && $1.record.length == $1.bytes.count
            }
        guard fits else { return 0 }
        let fresh = state.withLock { s in (first ..< first + leaves.count).allSatisfy { s.leaves[$0] == nil } }
        if fresh && leaves.count > 1 && storeRun(from: first, leaves) { return leaves.count }
        return leaves.enumerated().filter { i, leaf in
            if let existing = record(first + i), existing.digest == leaf.record.digest { return true }
            return storeRun(from: first + i, [leaf])
        }.count
    }

    /// Data first, then slots, so a crash can only leave slots missing, never pointing at bytes
    /// that were not written.
    private func storeRun(from first: Int, _ leaves: [(bytes: UnsafeRawBufferPointer, record: LeafRecord)]) -> Bool {
        let total = leaves.reduce(0) { $0 + $1.bytes.count }
        guard acceptsLeaves, makeRoom(Int64(total)) else { return false }
        let records = leaves.map(\.record)
        do {
            try writeData(from: first, leaves.map(\.bytes))
        } catch {
            space.release(bytes: Int64(total))
            space.reportWriteFailure(error, directory: directory)
            for leaf in first ..< first + leaves.count where record(leaf) == nil { restoreSlot(leaf) }
            return false
        }
        return commit(from: first, records)
    }

    /// Writes consecutive leaves' data with one vectored write, O_DIRECT when every buffer allows.
    private func writeData(from first: Int, _ pieces: [UnsafeRawBufferPointer]) throws {
        try withFilesThrowing { f in
            let direct = pieces.allSatisfy { f.leafDescriptor(for: $0) == f.directData }
            try FileIO.pwritevAll(
                direct ? f.directData : f.data, pieces, at: off_t(Int64(first) * TreeGeometry.leafSize),
                path: directory + "/data")
        }
    }

    /// An output whose root did not match keeps nothing; one being handed over takes nothing.
    private var acceptsLeaves: Bool {
        state.withLock { !$0.detached && $0.descriptor.wholeOutputCheck?.result != .mismatched }
    }

    /// Writes the slots of leaves whose data is written and whose space is reserved, and makes
    /// them held. On failure the space is released and the slots put back.
    private func commit(from first: Int, _ records: [LeafRecord]) -> Bool {
        let total = records.reduce(Int64(0)) { $0 + Int64($1.length) }
        let slots = records.enumerated().flatMap { LeafIndexFile.encode($1, leaf: first + $0) }
        let run = first ..< first + records.count
        do {
            try withFilesThrowing { f in
                try slots.withUnsafeBytes {
                    try FileIO.pwriteAll(f.index, $0, at: LeafIndexFile.slotOffset(first), path: directory + "/index")
                }
            }
        } catch {
            space.release(bytes: total)
            space.reportWriteFailure(error, directory: directory)
            for leaf in run where record(leaf) == nil { restoreSlot(leaf) }
            return false
        }
        var releasable: Int64 = 0
        var added: [Int] = []
        var mismatched = false
        let kept = state.withLock { s -> Bool in
            // Detached while writing: the bytes written are the same verified bytes, but the leaves
            // are no longer the entry's to hold.
            guard !s.detached else { return false }
            // The root failed while writing (another piece completed it): keep nothing.
            guard s.descriptor.wholeOutputCheck?.result != .mismatched else {
                mismatched = true
                return false
            }
            for (leaf, record) in zip(run, records) {
                if s.leaves[leaf] == nil {
                    s.cachedCount += 1
                    added.append(leaf)
                } else {
                    releasable += Int64(record.length)
                }
                if s.digests[leaf] == nil { s.knownDigestCount += 1 }
                if let known = s.digests[leaf], known != record.digest,
                    s.descriptor.wholeOutputCheck?.result == .matched
                {
                    // The service now vouches for other bytes: the old verdict no longer covers them.
                    s.descriptor.wholeOutputCheck = nil
                }
                s.digests[leaf] = record.digest
                s.leaves[leaf] = record
            }
            s.descriptor.lastAccess = Date()
            s.descriptorDirty = true
            return true
        }
        guard kept else {
            space.release(bytes: total)
            if mismatched {
                // The drop may have come before these slots and bytes were written: undo both.
                for leaf in run { restoreSlot(leaf) }
                _ = withFiles { f in
                    FileIO.punchHole(
                        f.data, offset: off_t(Int64(first) * TreeGeometry.leafSize), length: off_t(total))
                }
            }
            return false
        }
        for leaf in added { space.track(output: id, leaf: leaf) }
        if releasable > 0 { space.release(bytes: releasable) }
        return true
    }

    // MARK: - Staging

    /// Writes leaves of a node still arriving, whose checksum is not checked yet: their data goes
    /// to the data file in one write (a disk takes one large write several times faster than many
    /// 1 MiB ones), and their space is reserved, but no slot names them, so nothing reads them and
    /// a crash forgets them. `commitStaged` makes them held once the node is verified;
    /// `abandonStaged` frees them. All or none; returns how many were staged.
    public func stage(from first: Int, _ leaves: [(bytes: UnsafeRawBufferPointer, digest: SHA256Digest)]) -> Int {
        let run = first ..< first + leaves.count
        let total = leaves.reduce(0) { $0 + $1.bytes.count }
        guard !leaves.isEmpty, first >= 0, run.upperBound <= geometry.leafCount,
            leaves.enumerated().allSatisfy({ $1.bytes.count == geometry.leafLength(first + $0) }),
            state.withLock({ s in run.allSatisfy { s.leaves[$0] == nil && s.staged[$0] == nil } }),
            acceptsLeaves, makeRoom(Int64(total))
        else { return 0 }
        let records = leaves.map { LeafRecord(digest: $0.digest, verifiedBytes: $0.bytes) }
        do {
            try writeData(from: first, leaves.map(\.bytes))
        } catch {
            space.release(bytes: Int64(total))
            space.reportWriteFailure(error, directory: directory)
            return 0
        }
        let kept = state.withLock { s -> Bool in
            guard !s.detached, run.allSatisfy({ s.staged[$0] == nil }) else { return false }
            for (leaf, record) in zip(run, records) { s.staged[leaf] = record }
            return true
        }
        if !kept { space.release(bytes: Int64(total)) }
        return kept ? leaves.count : 0
    }

    /// Makes the staged leaves of `leaves` held (their node was verified). False, with all of
    /// them abandoned, when one is not staged or the slots cannot be written.
    public func commitStaged(_ leaves: Range<Int>) -> Bool {
        let records = state.withLock { s -> [LeafRecord]? in
            guard leaves.allSatisfy({ s.staged[$0] != nil }) else { return nil }
            return leaves.map { s.staged.removeValue(forKey: $0)! }
        }
        guard let records, acceptsLeaves else {
            abandonStaged(leaves)
            return false
        }
        return commit(from: leaves.lowerBound, records)
    }

    /// Frees the staged leaves of `leaves`: their node failed its check, or was abandoned.
    public func abandonStaged(_ leaves: Range<Int>) {
        let dropped = state.withLock { s in leaves.compactMap { s.staged.removeValue(forKey: $0) != nil ? $0 : nil } }
        guard !dropped.isEmpty else { return }
        space.release(bytes: dropped.reduce(Int64(0)) { $0 + Int64(geometry.leafLength($1)) })
        _ = withFiles { f in
            for leaf in dropped where state.withLock({ $0.leaves[leaf] == nil && !$0.detached }) {
                FileIO.punchHole(
                    f.data, offset: off_t(Int64(leaf) * TreeGeometry.leafSize), length: off_t(TreeGeometry.leafSize))
            }
        }
    }

    /// Drops a leaf's data, keeping its digest: the slot is rewritten as digest-only before the
    /// data is freed, so no instant exists where a slot points at freed bytes. Returns the bytes
    /// freed.
    @discardableResult
    func forget(_ leaf: Int) -> Int64 {
        let removed = state.withLock { s -> LeafRecord? in
            guard let r = s.leaves[leaf] else { return nil }
            s.leaves[leaf] = nil
            s.cachedCount -= 1
            return r
        }
        guard let removed else { return 0 }
        let slot = LeafIndexFile.encode(removed, leaf: leaf, dataEvicted: true)
        _ = withFiles { f in
            slot.withUnsafeBytes {
                try? FileIO.pwriteAll(f.index, $0, at: LeafIndexFile.slotOffset(leaf), path: directory + "/index")
            }
            FileIO.punchHole(
                f.data, offset: off_t(Int64(leaf) * TreeGeometry.leafSize), length: off_t(TreeGeometry.leafSize))
        }
        space.untrack(output: id, leaf: leaf, bytes: Int64(removed.length))
        return Int64(removed.length)
    }

    /// Empties the entry for a hand-over, if every leaf is still held, without touching its files:
    /// from now on nothing is stored, forgotten or flushed into them (its data is about to belong
    /// to another name). Returns the leaves held, for `reattach` or the space's accounting; nil
    /// when a leaf has gone.
    func detachAllLeaves() -> [LeafRecord]? {
        retired.withLock { retired in
            state.withLock { s -> [LeafRecord]? in
                guard !s.detached, s.cachedCount == geometry.leafCount else { return nil }
                let held = s.leaves.map { $0! }
                s.leaves = Array(repeating: nil, count: geometry.leafCount)
                s.cachedCount = 0
                s.detached = true
                retired = true
                return held
            }
        }
    }

    /// Undoes `detachAllLeaves` when the hand-over could not happen.
    func reattach(_ held: [LeafRecord]) {
        retired.withLock { retired in
            state.withLock { s in
                s.leaves = held
                s.cachedCount = held.count
                s.detached = false
            }
            retired = false
        }
    }

    /// Drops every leaf and every digest, and records `check` (a root mismatch): the entry stays
    /// only as the record that this job's output must not be served.
    func dropAll(recording check: WholeOutputCheck) {
        // The verdict first: from then on no leaf is staged or committed (`acceptsLeaves`).
        state.withLock { s in
            s.digests = Array(repeating: nil, count: geometry.leafCount)
            s.knownDigestCount = 0
            s.descriptor.wholeOutputCheck = check
            s.descriptorDirty = true
        }
        abandonStaged(0 ..< geometry.leafCount)
        for leaf in cachedLeaves { forget(leaf) }
        // Every slot back to zeros (empty), every data byte freed.
        _ = withFiles { f in
            let slots = off_t(LeafIndexFile.headerSize + geometry.leafCount * LeafIndexFile.slotSize)
            _ = ftruncate(f.index, off_t(LeafIndexFile.headerSize))
            _ = ftruncate(f.index, slots)
            FileIO.punchHole(f.data, offset: 0, length: off_t(max(1, geometry.size)))
        }
        flushDescriptor()
    }

    /// After a failed write, puts back what the slot said before: digest-only if the leaf's
    /// digest is known, else empty.
    private func restoreSlot(_ leaf: Int) {
        let (digest, detached) = state.withLock { ($0.digests[leaf], $0.detached) }
        guard !detached else { return }  // its data file may already be someone else's
        let slot =
            digest.map {
                LeafIndexFile.encode(
                    LeafRecord(digest: $0, length: geometry.leafLength(leaf), blockCRCs: []), leaf: leaf,
                    dataEvicted: true)
            } ?? LeafIndexFile.emptySlot
        _ = withFiles { f in
            slot.withUnsafeBytes {
                try? FileIO.pwriteAll(f.index, $0, at: LeafIndexFile.slotOffset(leaf), path: directory + "/index")
            }
            FileIO.punchHole(
                f.data, offset: off_t(Int64(leaf) * TreeGeometry.leafSize), length: off_t(TreeGeometry.leafSize))
        }
    }

    // MARK: - Whole-output check and metadata

    /// When every leaf's digest is known (cached or evicted), combines them into the root and
    /// compares it with the job's SHA256TreeHash. Returns the check, or nil when a digest is
    /// missing or the service gave no tree hash. Recording it is the owner's call
    /// (`OutputCache.record(_:for:)`), since a mismatch drops the entry's data.
    public func computeWholeOutputCheck() -> WholeOutputCheck? {
        let (digests, expected) = state.withLock { s -> ([SHA256Digest]?, String?) in
            guard s.knownDigestCount == geometry.leafCount, geometry.leafCount > 0 else { return (nil, nil) }
            return (s.digests.map { $0! }, s.descriptor.expectedTreeHash)
        }
        guard let digests, let expected, let expectedDigest = SHA256Digest(hex: expected) else { return nil }
        let root = TreeHash.root(of: digests)
        return WholeOutputCheck(
            result: root == expectedDigest ? .matched : .mismatched, computedRoot: root.hex,
            checkedAt: Date())
    }

    /// Records a matched root in `meta.json`, unless a mismatch was recorded: that stands until a
    /// new job is retrieved, and a match recorded late (the cache writers record it) must not undo it.
    func recordMatch(_ check: WholeOutputCheck) {
        let recorded = state.withLock { s in
            guard s.descriptor.wholeOutputCheck?.result != .mismatched else { return false }
            s.descriptor.wholeOutputCheck = check
            s.descriptorDirty = true
            return true
        }
        if recorded { flushDescriptor() }
    }

    /// Replaces service-provided fields (e.g. a refreshed job description) without touching leaves.
    public func updateDescriptor(_ change: (inout OutputDescriptor) -> Void) {
        state.withLock {
            change(&$0.descriptor)
            $0.descriptorDirty = true
        }
    }

    /// Writes `meta.json` if it changed, unless the entry was removed.
    public func flushDescriptor() {
        // Held over the write, so a removal waits for it and no write starts after one.
        retired.withLock { retired in
            guard !retired else { return }
            let pending = state.withLock { s -> OutputDescriptor? in
                guard s.descriptorDirty else { return nil }
                s.descriptorDirty = false
                return s.descriptor
            }
            guard let pending else { return }
            do {
                try FileIO.writeAtomically(try OutputCacheCoding.encoder.encode(pending), to: directory + "/meta.json")
            } catch {
                state.withLock { $0.descriptorDirty = true }
                space.reportWriteFailure(error, directory: directory)
            }
        }
    }

    /// Ends the entry's writes of metadata: it is being removed.
    func retire() { retired.withLock { $0 = true } }

    // MARK: - Files

    /// Runs `body` with the entry's open files, opening them on first use. The files stay open
    /// for as long as any caller holds them, so I/O runs outside the lock and in parallel.
    private func withFiles<R>(_ body: (EntryFiles) -> R) -> R? {
        (try? openFiles()).map(body)
    }

    private func withFilesThrowing(_ body: (EntryFiles) throws -> Void) throws {
        try body(openFiles())
    }

    /// The entry's files, opened on first use.
    private func openFiles() throws -> EntryFiles {
        try files.withLock { f in
            if let f { return f }
            let opened = try EntryFiles(directory: directory)
            f = opened
            return opened
        }
    }

    /// Closes the entry's files (they reopen on demand).
    func closeFiles() {
        files.withLock { $0 = nil }
    }
}
