import Foundation
import GlacierIntegrity
import GlacierModel
import Testing

@testable import OutputCache

/// The disk cache on its own: eviction within a budget, digests that outlive evicted bytes,
/// verdicts that survive a reopen, and slots that a crash can only lose.
@Suite struct OutputCacheTests {
    static let mib = 1 << 20

    /// A fresh cache directory, removed afterwards.
    static func withDirectory(_ body: (String) throws -> Void) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("outputcache-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try body(dir)
    }

    /// Opens the cache at `dir`. A cache this process just closed may still read as locked for a
    /// moment: a child that another test is spawning holds a copy of the lock's descriptor until
    /// its exec closes it. Only that case is waited out; a lock held by anyone else fails at once.
    static func open(_ dir: String, maxBytes: Int64) throws -> OutputCache {
        let deadline = Date().addingTimeInterval(10)
        while true {
            let opened: Result<OutputCache, CacheError> = Result { () throws(CacheError) in
                try OutputCache(directory: dir, maxBytes: maxBytes, minFreeBytes: 0)
            }
            if case .failure(.inUse(_, let pid)) = opened, pid == getpid(), Date() < deadline {
                Thread.sleep(forTimeInterval: 0.05)
                continue
            }
            return try opened.get()
        }
    }

    static func descriptor(
        job: String, size: Int, kind: OutputDescriptor.Kind = .archive,
        treeHash: SHA256Digest?
    ) -> OutputDescriptor {
        OutputDescriptor(
            key: OutputKey(endpoint: "test", accountId: "-", vault: "v", jobId: job), size: Int64(size),
            kind: kind, expectedTreeHash: treeHash?.hex, contentType: nil, archiveDescription: nil,
            archiveId: nil, jobDescriptionJSON: nil)
    }

    static func leaves(_ count: Int, seed: UInt8) -> [[UInt8]] {
        (0 ..< count).map { i in [UInt8](repeating: seed &+ UInt8(i), count: mib) }
    }

    /// A new entry holding every leaf of `data`, its cache flushed and closed: its key and directory.
    static func storedAndClosed(_ dir: String, job: String, _ data: [[UInt8]]) throws -> (OutputKey, String) {
        let cache = try open(dir, maxBytes: .max)
        let entry = try cache.entry(for: descriptor(job: job, size: data.count * mib, treeHash: nil))
        storeAll(entry, data)
        cache.flush()
        return (entry.descriptor.key, entry.directory)
    }

    /// Stores every leaf of `data` one by one.
    static func storeAll(_ entry: CachedOutput, _ data: [[UInt8]]) {
        for (i, leaf) in data.enumerated() {
            leaf.withUnsafeBytes { _ = entry.store(leaf: i, bytes: $0, digest: SHA256.hash($0)) }
        }
    }

    @Test func evictionKeepsTheBudgetAndTheDigests() throws {
        try Self.withDirectory { dir in
            let data = Self.leaves(12, seed: 1)
            let root = TreeHash.root(of: data.map { SHA256.hash($0) })
            let key: OutputKey
            do {
                let cache = try Self.open(dir, maxBytes: Int64(4 * Self.mib))
                let entry = try cache.entry(for: Self.descriptor(job: "a", size: 12 * Self.mib, treeHash: root))
                key = entry.descriptor.key
                Self.storeAll(entry, data)
                #expect(cache.usage().usedBytes <= Int64(4 * Self.mib))
                #expect(entry.cachedLeafCount == 4 && cache.usage().evictions == 8)
                #expect(entry.cachedLeaves == [8, 9, 10, 11], "the least recently stored went first")
                #expect(entry.knownDigestCount == 12, "evicted leaves keep their digests")
                #expect(
                    entry.computeWholeOutputCheck()?.result == .matched, "so the root is checked through a small cache")
                cache.flush()
            }
            // The digests survive a reopen, as digest-only slots.
            let reopened = try Self.open(dir, maxBytes: Int64(4 * Self.mib))
            let again = try #require(reopened.existingEntry(for: key))
            #expect(again.knownDigestCount == 12 && again.cachedLeafCount == 4)
        }
    }

    @Test func aMismatchDropsEverythingAndIsRememberedAcrossAReopen() throws {
        try Self.withDirectory { dir in
            let data = Self.leaves(3, seed: 7)
            let key: OutputKey
            do {
                let cache = try Self.open(dir, maxBytes: .max)
                let entry = try cache.entry(
                    for: Self.descriptor(job: "b", size: 3 * Self.mib, treeHash: SHA256.hash([0])))
                key = entry.descriptor.key
                Self.storeAll(entry, data)
                let check = try #require(entry.computeWholeOutputCheck())
                #expect(check.result == .mismatched)
                cache.record(check, for: entry)
                #expect(entry.cachedLeafCount == 0 && entry.knownDigestCount == 0)
                // A match the cache writers record late (from before the leaves changed) does
                // not undo it.
                cache.record(
                    WholeOutputCheck(result: .matched, computedRoot: check.computedRoot, checkedAt: .now), for: entry)
                #expect(entry.wholeOutputCheck?.result == .mismatched, "a late match leaves the mismatch standing")
                data[0].withUnsafeBytes {
                    #expect(!entry.store(leaf: 0, bytes: $0, digest: SHA256.hash($0)), "nothing is kept")
                }
                cache.flush()
            }
            let reopened = try Self.open(dir, maxBytes: .max)
            let again = try #require(reopened.existingEntry(for: key), "the verdict outlives a reopen")
            #expect(again.wholeOutputCheck?.result == .mismatched && again.cachedLeafCount == 0)
            #expect(again.usage.verificationSummary.hasPrefix("root mismatch"))
        }
    }

    @Test func aTornSlotLosesItsLeafAndRotIsDropped() throws {
        try Self.withDirectory { dir in
            let data = Self.leaves(3, seed: 40)
            let (key, directory) = try Self.storedAndClosed(dir, job: "c", data)
            // Tear leaf 1's slot (as a crash mid-write would) and rot a byte of leaf 2's data.
            let index = FileHandle(forUpdatingAtPath: directory + "/index")!
            try index.seek(toOffset: UInt64(LeafIndexFile.slotOffset(1)) + 20)
            try index.write(contentsOf: [0xFF, 0x00, 0xFF])
            try index.close()
            let file = FileHandle(forUpdatingAtPath: directory + "/data")!
            try file.seek(toOffset: UInt64(2 * Self.mib + 999))
            try file.write(contentsOf: [data[2][999] ^ 0x40])
            try file.close()

            let reopened = try Self.open(dir, maxBytes: .max)
            let again = try #require(reopened.existingEntry(for: key))
            #expect(again.cachedLeaves == [0, 2], "the torn slot reads as empty")
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.mib, alignment: 4096)
            defer { buffer.deallocate() }
            #expect(again.readLeaf(0, into: buffer) && Array(buffer) == data[0])
            #expect(!again.readLeaf(2, into: buffer), "rot fails the check")
            #expect(again.cachedLeaves == [0] && reopened.usage().corruptLeavesDropped == 1, "and the leaf is dropped")
        }
    }

    /// Whole leaves read back are checked by their block CRCs, wherever the damage lies; a slot
    /// written without CRCs is checked by its SHA-256.
    @Test func aWholeLeafIsCheckedByItsBlocksOrWithoutThemByItsHash() throws {
        try Self.withDirectory { dir in
            let data = Self.leaves(4, seed: 90)
            let (key, directory) = try Self.storedAndClosed(dir, job: "b", data)
            // Leaves 2 and 3 lose their CRCs, as in a slot written without them.
            let index = FileHandle(forUpdatingAtPath: directory + "/index")!
            for leaf in [2, 3] {
                let bare = data[leaf].withUnsafeBytes {
                    LeafRecord(digest: SHA256.hash($0), length: $0.count, blockCRCs: [])
                }
                try index.seek(toOffset: UInt64(LeafIndexFile.slotOffset(leaf)))
                try index.write(contentsOf: LeafIndexFile.encode(bare, leaf: leaf))
            }
            try index.close()
            // Rot in leaf 1's last block, and in leaf 3.
            let file = FileHandle(forUpdatingAtPath: directory + "/data")!
            for (leaf, at) in [(1, Self.mib - 5), (3, 70_000)] {
                try file.seek(toOffset: UInt64(leaf * Self.mib + at))
                try file.write(contentsOf: [data[leaf][at] ^ 0x01])
            }
            try file.close()

            let reopened = try Self.open(dir, maxBytes: .max)
            let again = try #require(reopened.existingEntry(for: key))
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.mib, alignment: 4096)
            defer { buffer.deallocate() }
            #expect(again.readLeaf(0, into: buffer, capacity: Self.mib) && Array(buffer) == data[0])
            #expect(!again.readLeaf(1, into: buffer, capacity: Self.mib), "one bit in the last block fails its CRC")
            #expect(again.readLeaf(2, into: buffer, capacity: Self.mib) && Array(buffer) == data[2], "no CRCs: hashed")
            #expect(!again.readLeaf(3, into: buffer, capacity: Self.mib), "and the hash catches rot")
            #expect(again.cachedLeaves == [0, 2] && reopened.usage().corruptLeavesDropped == 2)
        }
    }

    /// A leaf's record is made from its bytes as they were verified: bytes that changed before
    /// their write (a bug reusing a buffer, a flipped bit in memory) fail their CRCs when read back.
    @Test func bytesChangedAfterTheirRecordWasMadeFailTheirCheck() throws {
        try Self.withDirectory { dir in
            let data = Self.leaves(2, seed: 70)
            let cache = try Self.open(dir, maxBytes: .max)
            let entry = try cache.entry(for: Self.descriptor(job: "r", size: 2 * Self.mib, treeHash: nil))
            var changed = data[1]
            changed[123_456] ^= 0x10
            let records = data.map { leaf in
                leaf.withUnsafeBytes { LeafRecord(digest: SHA256.hash($0), verifiedBytes: $0) }
            }
            let stored = data[0].withUnsafeBytes { first in
                changed.withUnsafeBytes { second in
                    entry.store(from: 0, [(bytes: first, record: records[0]), (bytes: second, record: records[1])])
                }
            }
            #expect(stored == 2)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.mib, alignment: 4096)
            defer { buffer.deallocate() }
            #expect(entry.readLeaf(0, into: buffer, capacity: Self.mib) && Array(buffer) == data[0])
            #expect(!entry.readLeaf(1, into: buffer, capacity: Self.mib), "the changed bytes fail their CRCs")
            #expect(entry.cachedLeaves == [0] && cache.usage().corruptLeavesDropped == 1)
        }
    }

    @Test func unverifiedEntriesSaySo() throws {
        try Self.withDirectory { dir in
            let cache = try Self.open(dir, maxBytes: .max)
            let entry = try cache.entry(
                for: Self.descriptor(job: "d", size: Self.mib, kind: .unverified, treeHash: nil))
            Self.storeAll(entry, Self.leaves(1, seed: 3))
            #expect(entry.usage.verificationSummary.hasPrefix("unverified"))
            #expect(OutputCache.inspect(directory: dir).outputs.first?.kind == .unverified)
        }
    }

    @Test func aWholeMatchedOutputIsHandedOverAndLeavesTheCache() throws {
        try Self.withDirectory { dir in
            let data = Self.leaves(3, seed: 60) + [[UInt8](repeating: 9, count: 1000)]
            let root = TreeHash.root(of: data.map { SHA256.hash($0) })
            let size = 3 * Self.mib + 1000
            let target = dir + "/handed-over"
            let key: OutputKey
            do {
                let cache = try Self.open(dir, maxBytes: .max)
                #expect(cache.sharesFilesystem(with: dir))
                let entry = try cache.entry(for: Self.descriptor(job: "h", size: size, treeHash: root))
                key = entry.descriptor.key
                Self.storeAll(entry, Array(data.prefix(3)))
                #expect(!cache.handOver(entry, to: target), "not while a leaf is missing")
                #expect(!FileManager.default.fileExists(atPath: target) && entry.cachedLeafCount == 3)
                Self.storeAll(entry, data)
                #expect(!cache.handOver(entry, to: target), "nor before the root is matched")
                cache.record(try #require(entry.computeWholeOutputCheck()), for: entry)
                let used = cache.usage().usedBytes
                #expect(used == Int64(size))
                #expect(cache.handOver(entry, to: target))
                #expect(cache.usage().usedBytes == 0 && cache.existingEntry(for: key) == nil)
                #expect(!FileManager.default.fileExists(atPath: entry.directory))
                // Nothing the cache does later reaches the handed-over file.
                #expect(entry.forget(0) == 0)
            }
            let bytes = try #require(FileManager.default.contents(atPath: target))
            #expect(Array(bytes) == Array(data.joined()))
            let reopened = try Self.open(dir, maxBytes: .max)
            #expect(reopened.existingEntry(for: key) == nil)
        }
    }

    @Test func anEntryWhoseDataHasASecondLinkIsDiscarded() throws {
        try Self.withDirectory { dir in
            let key: OutputKey
            do {
                let cache = try Self.open(dir, maxBytes: .max)
                let entry = try cache.entry(for: Self.descriptor(job: "i", size: Self.mib, treeHash: nil))
                key = entry.descriptor.key
                Self.storeAll(entry, Self.leaves(1, seed: 5))
                cache.flush()
                // As a power loss could leave a hand-over: the entry back under its own name,
                // its data also linked as the user's file.
                #expect(link(entry.directory + "/data", dir + "/elsewhere") == 0)
            }
            let reopened = try Self.open(dir, maxBytes: .max)
            #expect(reopened.existingEntry(for: key) == nil && reopened.usage().usedBytes == 0)
            let kept = try #require(FileManager.default.contents(atPath: dir + "/elsewhere"))
            #expect(Array(kept) == Self.leaves(1, seed: 5)[0], "the user's file keeps its bytes")
        }
    }

    @Test func aPinnedEntryIsNotEvictedUntilUnpinned() throws {
        try Self.withDirectory { dir in
            let cache = try Self.open(dir, maxBytes: Int64(4 * Self.mib))
            let pinned = try cache.entry(for: Self.descriptor(job: "p", size: 2 * Self.mib, treeHash: nil))
            Self.storeAll(pinned, Self.leaves(2, seed: 70))
            cache.pin(pinned)
            let other = try cache.entry(for: Self.descriptor(job: "q", size: 6 * Self.mib, treeHash: nil))
            Self.storeAll(other, Self.leaves(6, seed: 80))
            #expect(pinned.cachedLeafCount == 2, "the pinned entry kept its leaves")
            #expect(other.cachedLeafCount == 2 && cache.usage().usedBytes <= Int64(4 * Self.mib))
            cache.unpin(pinned)
            Self.storeAll(other, Self.leaves(6, seed: 90))
            #expect(pinned.cachedLeafCount < 2, "unpinned, it is evicted like any other")
        }
    }
}
