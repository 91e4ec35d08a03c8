import Foundation
import GlacierClient
import GlacierIntegrity
import GlacierTestSupport
import OutputCache
import Synchronization
import Testing

@testable import GlacierFileSystem

/// On a slow link the engine streams large nodes to the disk cache leaf by leaf, so memory no
/// longer bounds their size: what it decides, and that it stays exact and keeps nothing unverified.
@Suite struct StreamedNodeTests {
    static let mib = 1 << 20
    /// What the bench's WAN row shapes: 50 ms before the first byte, 40 MB/s per connection.
    static let wan = (latency: 0.05, rate: 40e6)

    func withCache<T>(_ body: (OutputCache) async throws -> T) async throws -> T {
        try await TempDirectory.with("streamed") { dir in
            try await body(try OutputCache(directory: dir.path, maxBytes: 1 << 30, minFreeBytes: 0))
        }
    }

    /// Small reads 3 MiB apart, so the link is measured before the sequential read and no window
    /// opens on the way (they are not in order).
    func warmUp(_ handle: OutputHandle) async {
        for i in 0 ..< 6 { _ = await handle.read(offset: Int64(i) * Int64(3 * Self.mib), size: 4096) }
    }

    /// Waits for the cache writers to finish what the handle's reader gave them: among it, the
    /// record of the whole output's verdict.
    func cacheWritesDone(_ handle: OutputHandle) async throws {
        // A synced write on a busy disk can take seconds.
        try await eventually(within: .seconds(60)) { handle.reader.cacheWritesPending.load(ordering: .acquiring) == 0 }
        #expect(handle.reader.cacheWritesPending.load(ordering: .acquiring) == 0, "the cache writers are done")
    }

    @Test func aCopysWindowOpensInStreamedNodesWhileItsSecondLeafIsStillOnTheWay() async throws {
        // The kernel asks for a copy's second leaf beside its first, so when the copy asks for
        // its third the second may still be on its way. The head read alone measured the link:
        // the window opens in streamed nodes of 16 leaves, not in nodes sized by memory (4 here).
        try await withCache { cache in
            // Large enough that no node is cut for the end of the work; each answer takes 1 s.
            let source = MemorySource(size: 200 * Self.mib, latency: .seconds(1), reportedLink: Self.wan)
            let engine = Engine(source: source, memory: 64 << 20, parallel: 8, cache: cache)
            let handle = try engine.open()
            _ = await handle.read(offset: 0, size: Self.mib)
            async let second = handle.read(offset: Int64(Self.mib), size: Self.mib)
            try await eventually { source.requests.count >= 2 }
            #expect(source.requests.count == 2, "the second leaf is on its way")
            _ = await handle.read(offset: Int64(2 * Self.mib), size: Self.mib)
            _ = await second
            let sizes = source.requests.map { $0.count / Self.mib }
            #expect(sizes.contains(16), "the window opened in nodes of 16 leaves: \(sizes)")
            handle.close()
        }
    }

    @Test func aSlowLinkStreamsLargeNodesToTheCacheAndReadsExactly() async throws {
        try await withCache { cache in
            // Large enough for the window to open fully: nodes grow with it.
            let source = MemorySource(size: 200 * Self.mib + 4321, reportedLink: Self.wan)
            let engine = Engine(source: source, memory: 64 << 20, parallel: 8, cache: cache)
            let handle = try engine.open()
            await warmUp(handle)
            #expect(await handle.readAll() == source.bytes)
            let stats = engine.readers.statistics
            #expect(stats.nodesStreamed > 0, "large nodes were streamed")
            #expect(source.requests.contains { $0.count == Int64(16 * Self.mib) }, "nodes grew past the memory's 4 MiB")
            let fetched = source.requests.reduce(Int64(0)) { $0 + $1.upperBound - $1.lowerBound }
            #expect(fetched == Int64(source.bytes.count), "every byte fetched once")
            let entry = try #require(cache.allEntries.first { $0.descriptor.size == Int64(source.bytes.count) })
            try await cacheWritesDone(handle)
            #expect(entry.isComplete, "every leaf is held in the cache")
            #expect(entry.wholeOutputCheck?.result == .matched)
            #expect(handle.matchedRoot == source.treeHash.hex)
            #expect(cache.usage().usedBytes == Int64(source.bytes.count), "no space is left reserved for staging")
            handle.close()
        }
    }

    /// An output of `mib` MiB on a slow link, opened (`opened`), and a second reader of it
    /// (`handle`) through `disk`, a `BusyDisk` over the output's store.
    struct BusyDiskRead {
        let source: MemorySource
        let engine: Engine
        let opened: OutputHandle
        let disk: BusyDisk
        let handle: OutputHandle
    }

    func busyDiskRead(_ cache: OutputCache, mib: Int) throws -> BusyDiskRead {
        let source = MemorySource(size: mib * Self.mib, reportedLink: Self.wan)
        let engine = Engine(source: source, memory: 64 << 20, parallel: 8, cache: cache)
        let opened = try engine.open()
        let base = opened.reader
        let disk = BusyDisk(base.store)
        let reader = OutputReader(
            id: base.id, vault: base.vault, jobId: base.jobId, shape: base.shape, geometry: base.geometry,
            store: disk, services: base.services)
        return BusyDiskRead(
            source: source, engine: engine, opened: opened, disk: disk,
            handle: OutputHandle(reader: reader, readers: engine.readers))
    }

    @Test func aCopysLastLeavesDoNotWaitForTheVerdictToBeRecorded() async throws {
        // Recording the whole output's verdict syncs a file. On a busy disk that took a second,
        // and the last leaves of a WAN copy, whose node completed the root, waited for it.
        try await withCache { cache in
            // A reader of the output through a store that holds the verdict's record up. The head
            // read measures the link: every node after the copy's first two leaves is streamed,
            // so one of them completes the root.
            let run = try busyDiskRead(cache, mib: 40)
            let (source, engine, disk, handle) = (run.source, run.engine, run.disk, run.handle)
            disk.holdRecords()
            defer {
                disk.releaseRecords()
                run.opened.close()
            }
            // A read that waits for the record would wait forever: let it go after 120 s (a
            // loaded machine can hold the test's tasks up for a minute).
            let watchdog = Task {
                try await Task.sleep(for: .seconds(120))
                disk.releaseRecords()
            }
            let bytes = await handle.readAll()
            let heldThroughout = disk.isHoldingRecords
            watchdog.cancel()
            #expect(bytes == source.bytes)
            #expect(heldThroughout, "every byte was read while the verdict's record was held up")
            #expect(engine.readers.statistics.nodesStreamed > 0)
            #expect(handle.matchedRoot == source.treeHash.hex, "the root matched")
            try await eventually(within: .seconds(60)) { disk.recordsHeld == 1 }
            #expect(disk.recordsHeld == 1, "the cache writers record the verdict")
            disk.releaseRecords()
            try await cacheWritesDone(handle)
            let entry = try #require(cache.allEntries.first)
            #expect(entry.wholeOutputCheck?.result == .matched, "once the disk lets them")
        }
    }

    @Test func aVerdictLostBeforeItsRecordIsRecordedByTheOutputsNextReader() async throws {
        // The verdict is recorded after the leaves that completed it: a crash in between keeps
        // every leaf and its digest, but not the verdict. The next reader settles it from them.
        try await withCache { cache in
            let run = try busyDiskRead(cache, mib: 8)
            let (source, engine, opened, first) = (run.source, run.engine, run.opened, run.handle)
            run.disk.loseRecords()
            #expect(await first.readAll() == source.bytes)
            try await cacheWritesDone(first)
            let entry = try #require(cache.allEntries.first)
            #expect(entry.isComplete && entry.wholeOutputCheck == nil, "every leaf kept, the verdict lost")
            opened.close()
            let fetched = source.requests.count
            let next = try engine.open()
            #expect(next.reader !== opened.reader, "a reader of its own")
            try await cacheWritesDone(next)
            #expect(entry.wholeOutputCheck?.result == .matched, "recorded from the kept digests")
            #expect(source.requests.count == fetched, "with nothing fetched")
            next.close()
        }
    }

    /// The wait for first bytes grows with the fetches we run at once, even on loopback: the link
    /// is judged by the wait of fetches that ran with few others, and sized by all of them.
    @Test func aFastLinkIsNotTakenForASlowOneWhenOurOwnLoadSlowsIt() throws {
        func record(_ link: LinkSpeed, wait: Double, others: Int) {
            link.record(
                VerifiedOutputRange(
                    range: 0 ..< Int64(Self.mib), totalSize: Int64(Self.mib), leafDigests: [],
                    serviceTreeHash: SHA256.hash([]), contentType: nil, archiveDescription: nil,
                    firstByteSeconds: wait, totalSeconds: wait + 0.005),
                bytes: Self.mib, othersInFlight: others)
        }
        let near = LinkSpeed()
        record(near, wait: 0.002, others: 0)  // a copy's head read, alone
        for _ in 0 ..< 20 { record(near, wait: 0.04, others: 15) }  // its window: 16 at once
        let loaded = try #require(near.estimate)
        #expect(loaded.latency > 0.03, "the wait under load is what fetches take: \(loaded.latency)")
        #expect(!loaded.isSlow && loaded.wantedNodeLeaves == nil, "but the link is a fast one")
        let later = try #require(near.estimate(at: .now + LinkSpeed.quietLifetime + .seconds(1)))
        #expect(later.isSlow, "a quiet wait long past no longer speaks for the link")

        let far = LinkSpeed()
        record(far, wait: 0.05, others: 0)
        for _ in 0 ..< 20 { record(far, wait: 0.08, others: 15) }
        let slow = try #require(far.estimate)
        #expect(slow.isSlow && slow.wantedNodeLeaves != nil, "a long round trip is slow however it was measured")

        let crowded = LinkSpeed()
        for _ in 0 ..< 8 { record(crowded, wait: 0.05, others: 7) }  // 8 readers' head reads at once
        #expect(try #require(crowded.estimate).isSlow, "with no quiet fetch, every fetch's wait counts")
    }

    @Test func beforeAnyDownloadTheServicesRoundTripDecidesWhetherTheLinkIsSlow() async throws {
        try await withCache { cache in
            // The listings a mount starts with answered after 50 ms: a copy opens its window
            // whole, streamed, in the largest nodes, without waiting for a download to measure it.
            let far = Engine(source: MemorySource(size: 40 * Self.mib, roundTrip: 0.05), parallel: 8, cache: cache)
            let slow = far.readers.prefetchPlan()
            #expect(slow.streamed && slow.opensWhole && slow.nodeLeaves == 16, "\(slow)")
            // After 1 ms: a fast link, whose window is in memory.
            let near = Engine(source: MemorySource(size: 40 * Self.mib, roundTrip: 0.001), parallel: 8, cache: cache)
            let fast = near.readers.prefetchPlan()
            #expect(!fast.streamed && fast.nodeLeaves < 16, "\(fast)")
            // Nothing known: in memory, and whole once copying, as a slow link might be.
            let unknown = Engine(source: MemorySource(size: 40 * Self.mib), parallel: 8, cache: cache)
            let plan = unknown.readers.prefetchPlan()
            #expect(!plan.streamed && plan.opensWhole, "\(plan)")
            // Once downloads measured the link, they decide: fast here, whatever the listings said.
            let measured = Engine(
                source: MemorySource(size: 40 * Self.mib, reportedLink: (latency: 0.001, rate: 40e6), roundTrip: 0.05),
                parallel: 8, cache: cache)
            let handle = try measured.open()
            await warmUp(handle)
            let afterDownloads = measured.readers.prefetchPlan()
            #expect(!afterDownloads.streamed && !afterDownloads.opensWhole, "\(afterDownloads)")
            handle.close()
        }
    }

    @Test func thePlanStreamsOnlyOnASlowLinkWithADiskCache() async throws {
        try await withCache { cache in
            for (link, withCache, expectStreamed) in [
                (Self.wan, true, true), ((latency: 0.001, rate: 40e6), true, false), (Self.wan, false, false),
            ] {
                let source = MemorySource(size: 40 * Self.mib, reportedLink: link)
                let engine = Engine(source: source, memory: 64 << 20, parallel: 8, cache: withCache ? cache : nil)
                let handle = try engine.open()
                await warmUp(handle)
                let plan = engine.readers.prefetchPlan()
                #expect(plan.streamed == expectStreamed, "\(link), cache \(withCache)")
                if expectStreamed {
                    // 50 ms × 40 MB/s × 9 = 18 MB wanted: the 16 MiB request limit, two per connection.
                    #expect(plan.nodeLeaves == 16 && plan.windowLeaves == 2 * 8 * 16)
                }
                #expect(await handle.readAll() == source.bytes)
                #expect((engine.readers.statistics.nodesStreamed > 0) == expectStreamed)
                handle.close()
                cache.clear()
            }
        }
    }

    @Test func onASlowLinkACopyingReaderOpensItsWindowWholeAndAHeadReadStaysOneLeaf() {
        var pattern = AccessPattern()
        let plan = PrefetchPlan(windowLeaves: 512, nodeLeaves: 16, connections: 16, streamed: true, nearLeaves: 32)
        func record(_ mib: Int) -> AccessPattern.Decision {
            pattern.record(
                offset: Int64(mib * Self.mib), size: Self.mib, leafSize: Self.mib, leafCount: 1024, plan: plan)
        }
        #expect(record(0).prefetch == nil, "a head read fetches only its leaf")
        #expect(record(1).prefetch == nil, "a 1 MiB sniff (2 MiB of readahead) fetches only its two leaves")
        let copying = record(2)
        #expect(pattern.windowLeaves == 512, "3 MiB read in order from the head: a copy, so the window opens whole")
        #expect(copying.streamed && copying.maxNodeLeaves == 16)
        #expect(copying.prefetch == 2 ..< 528, "whole aligned nodes, from the reader on")
        #expect(copying.loadAhead == 2 ..< 34, "the leaves just ahead are read back from the cache")
        _ = record(900)
        #expect(pattern.windowLeaves == 0, "a jump closes it")
        let afterJump = (901 ... 903).map { mib in
            _ = record(mib)
            return pattern.windowLeaves
        }
        #expect(afterJump == [0, 0, 512], "after a jump, a copy is 4 MiB in order: \(afterJump)")

        let mib = Int64(Self.mib)
        // The kernel's readahead, its reads arriving out of order: still a run from the head.
        #expect(windows([(mib, Self.mib), (0, Self.mib), (2 * mib, Self.mib), (3 * mib, Self.mib)], plan).last == 512)
        // What a copy is not: random reads landing within the tolerance by chance, small reads
        // that skip up to 2 MiB each, a reader going backwards.
        #expect(windows([(100 * mib, 4096), (95 * mib, 4096)], plan).max()! < 512)
        #expect(windows((0 ..< 6).map { (Int64($0) * 2 * mib, 4096) }, plan).max()! < 512)
        #expect(windows((0 ..< 6).map { ((100 - Int64($0)) * mib, Self.mib) }, plan).max()! < 512)
        // Small reads: nothing is fetched ahead until 3 MiB from the head were read, then all of
        // the window; on a fast link (a plan that does not open whole) it doubles read by read.
        let wide = PrefetchPlan(windowLeaves: 4096, nodeLeaves: 16, connections: 16, streamed: true, nearLeaves: 32)
        let small = windows((0 ... 11).map { (Int64($0) << 18, 1 << 18) }, wide)
        #expect(small == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4096], "256 KiB reads: \(small)")
        let fast = PrefetchPlan(windowLeaves: 4096, nodeLeaves: 16, connections: 16, opensWhole: false)
        let doubling = windows((0 ... 11).map { (Int64($0) << 18, 1 << 18) }, fast)
        #expect(doubling == [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024], "256 KiB reads: \(doubling)")
    }

    /// The window after each of `reads` (offset, size) on a fresh handle.
    func windows(_ reads: [(Int64, Int)], _ plan: PrefetchPlan) -> [Int] {
        var pattern = AccessPattern()
        return reads.map { offset, size in
            _ = pattern.record(offset: offset, size: size, leafSize: Self.mib, leafCount: 1 << 14, plan: plan)
            return pattern.windowLeaves
        }
    }

    @Test func aDamagedStreamedNodeIsSplitAndItsStagedLeavesAreDropped() async throws {
        try await withCache { cache in
            // Every first request for a node of 8 MiB or more comes back damaged.
            let source = MemorySource(size: 160 * Self.mib, reportedLink: Self.wan) { n, range in
                n == 0 && range.count >= Int64(8 << 20) ? .corrupt : .serve
            }
            let engine = Engine(source: source, memory: 64 << 20, parallel: 8, cache: cache)
            let handle = try engine.open()
            await warmUp(handle)
            #expect(await handle.readAll() == source.bytes)
            #expect(engine.readers.statistics.nodeSplits > 0, "damaged nodes were split")
            #expect(
                source.spilledLeaves.count > source.geometry.leafCount, "damaged leaves were staged, then refetched")
            #expect(cache.usage().usedBytes == Int64(source.bytes.count), "the damaged attempts' space was given back")
            handle.close()
        }
    }

    /// Each first request for a 16 MiB node breaks after 12.5 MiB, announcing `announced`'s checksum.
    func brokenStreamedNodes(
        announcing announced: @escaping @Sendable (Int) -> MemorySource.Behaviour
    ) async throws -> (source: MemorySource, salvaged: Int, usedBytes: Int64, complete: Bool) {
        try await withCache { cache in
            let source = MemorySource(size: 160 * Self.mib, reportedLink: Self.wan) { n, range in
                n == 0 && range.count == Int64(16 * Self.mib) ? announced(12 * Self.mib + Self.mib / 2) : .serve
            }
            let engine = Engine(source: source, memory: 64 << 20, parallel: 8, cache: cache)
            let handle = try engine.open()
            await warmUp(handle)
            #expect(await handle.readAll() == source.bytes)
            #expect(engine.readers.statistics.nodesStreamed > 0)
            try await cacheWritesDone(handle)
            handle.close()
            let entry = try #require(cache.allEntries.first { $0.descriptor.size == Int64(source.bytes.count) })
            return (
                source, engine.readers.statistics.bytesSalvaged, cache.usage().usedBytes,
                entry.isComplete && entry.wholeOutputCheck?.result == .matched
            )
        }
    }

    /// Bytes asked for beyond one request per leaf.
    func askedTwice(_ source: MemorySource) -> Int64 {
        source.requests.reduce(Int64(0)) { $0 + $1.upperBound - $1.lowerBound } - Int64(source.bytes.count)
    }

    @Test func aStreamedNodeBrokenPartWayKeepsTheLeavesThatArrivedWhole() async throws {
        let run = try await brokenStreamedNodes { .breakAfter($0) }
        let broken = run.source.requests.filter { $0.count == Int64(16 * Self.mib) }.count
        #expect(broken > 0, "some nodes of 16 MiB were asked for: \(run.source.requests)")
        #expect(run.salvaged == broken * 12 * Self.mib, "leaves 0-11 of each broken node were kept")
        #expect(
            askedTwice(run.source) == Int64(broken * 4 * Self.mib),
            "only the leaves that did not arrive whole are fetched again: \(run.source.requests)")
        #expect(run.complete, "every leaf is in the cache, and the root matched")
        #expect(run.usedBytes == Int64(run.source.bytes.count), "no space is left reserved for staging")
    }

    @Test func keptLeavesThatDoNotMakeTheAnnouncedChecksumAreFetchedAgain() async throws {
        let run = try await brokenStreamedNodes { .breakAfterAnnouncingAnother($0) }
        let broken = run.source.requests.filter { $0.count == Int64(16 * Self.mib) }.count
        #expect(broken > 0)
        #expect(run.salvaged == 0, "nothing kept: the checksum the leaves had to make was another")
        #expect(
            askedTwice(run.source) == Int64(broken * 16 * Self.mib),
            "the kept leaves were fetched again: \(run.source.requests)")
        #expect(run.complete)
        #expect(run.usedBytes == Int64(run.source.bytes.count), "the dropped leaves' space was given back")
    }

    @Test func streamedNodesWhoseRootDoesNotMatchAreRefusedAndNotKept() async throws {
        try await withCache { cache in
            let source = MemorySource(size: 40 * Self.mib, reportedLink: Self.wan)
            let engine = Engine(source: source, memory: 64 << 20, parallel: 8, cache: cache)
            let handle = try engine.open(treeHash: SHA256.hash(Array("another archive".utf8)))
            await warmUp(handle)
            #expect(await handle.readAll() == nil, "the read that completes the root fails")
            #expect(engine.readers.statistics.nodesStreamed > 0)
            #expect(await handle.read(offset: 0, size: 4096).failure != nil, "and every read after it")
            let entry = try #require(cache.allEntries.first)
            #expect(
                entry.cachedLeafCount == 0 && entry.wholeOutputCheck?.result == .mismatched,
                "held: \(entry.cachedLeaves), verdict: \(String(describing: entry.wholeOutputCheck?.result))")
            #expect(cache.usage().usedBytes == 0, "nothing staged is left behind")
            handle.close()
        }
    }

    @Test func aStagedLeafIsNotHeldUntilCommittedAndACrashForgetsIt() async throws {
        try await TempDirectory.with("staging") { dir in
            let geometry = TreeGeometry(size: Int64(3 * Self.mib))
            let bytes = (0 ..< 3 * Self.mib).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            let descriptor = OutputDescriptor(
                key: OutputKey(endpoint: "e", accountId: "-", vault: "v", jobId: "j"), size: geometry.size,
                kind: .archive, expectedTreeHash: TreeHash.hash(bytes).hex, contentType: nil, archiveDescription: nil,
                archiveId: nil, jobDescriptionJSON: nil)
            do {
                let cache = try OutputCache(directory: dir.path, maxBytes: 1 << 30, minFreeBytes: 0)
                let entry = try cache.entry(for: descriptor)
                for leaf in 0 ..< 3 {
                    let leafBytes = Array(bytes[leaf * Self.mib ..< (leaf + 1) * Self.mib])
                    let staged = leafBytes.withUnsafeBytes {
                        entry.stage(from: leaf, [($0, SHA256.hash($0))]) == 1
                    }
                    #expect(staged)
                }
                #expect(entry.cachedLeafCount == 0, "staged leaves are not held")
                #expect(entry.commitStaged(0 ..< 2))
                #expect(entry.cachedLeaves == [0, 1])
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.mib, alignment: 4096)
                defer { buffer.deallocate() }
                #expect(entry.readLeaf(1, into: buffer, capacity: Self.mib))
                #expect(Array(buffer) == Array(bytes[Self.mib ..< 2 * Self.mib]))
                #expect(cache.usage().usedBytes == Int64(3 * Self.mib), "leaf 2's space stays reserved")
                cache.flush()
                // Leaf 2 stays staged: the cache goes away as in a crash.
            }
            let reopened = try OutputCache(directory: dir.path, maxBytes: 1 << 30, minFreeBytes: 0)
            let entry = try reopened.entry(for: descriptor)
            #expect(entry.cachedLeaves == [0, 1], "a leaf staged and never committed is forgotten")
            #expect(reopened.usage().usedBytes == Int64(2 * Self.mib))
            #expect(!entry.commitStaged(2 ..< 3), "nothing is staged after a restart")
            // And the space of leaf 2's bytes went back to the disk.
            let outputs = dir.path + "/outputs"
            let name = try #require(try FileManager.default.contentsOfDirectory(atPath: outputs).first)
            var st = stat()
            #expect(stat(outputs + "/" + name + "/data", &st) == 0)
            #expect(Int(st.st_blocks) * 512 <= 2 * Self.mib, "allocated: \(Int(st.st_blocks) * 512) bytes")
        }
    }

    @Test func aLeafNearTheReaderTakesTheMemoryOfOneHeldFartherAhead() async throws {
        try await withCache { cache in
            // Memory for 4 leaves; streamed nodes of 4 leaves at 0, 8 and 16 of one output.
            let source = MemorySource(size: 24 * Self.mib, reportedLink: Self.wan)
            let engine = Engine(source: source, memory: 4 * Self.mib, parallel: 8, cache: cache)
            let handle = try engine.open()
            let reader = handle.reader
            func spill(_ node: Range<Int>) -> StoreSpill {
                StoreSpill(
                    store: reader.store, output: reader.id, node: node, geometry: reader.geometry,
                    services: reader.services, own: [.unpooled(capacity: Self.mib)], onTransferEnd: {})
            }
            /// Lends leaf `leaf` a buffer, fills it and keeps it, as a transfer does.
            func arrive(_ leaf: Int, at spill: StoreSpill) throws {
                let buffer = try #require(spill.buffer(for: leaf))
                let bytes = source.bytes[leaf * Self.mib ..< (leaf + 1) * Self.mib]
                bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
                let leafBytes = UnsafeRawBufferPointer(start: buffer.baseAddress, count: Self.mib)
                #expect(spill.keep(leaf: leaf, bytes: leafBytes, digest: SHA256.hash(leafBytes)))
            }
            let middle = spill(8 ..< 12)
            let near = spill(0 ..< 4)
            let far = spill(16 ..< 20)
            for leaf in 8 ..< 12 { try arrive(leaf, at: middle) }
            // Memory is spent: the farthest ahead holds none, the nearest takes from the middle.
            try arrive(16, at: far)
            try arrive(0, at: near)
            try arrive(1, at: near)
            #expect(engine.readers.statistics.streamedLeavesYielded == 2)
            let published = middle.takeHeld()
            #expect(Set(published.keys) == [8, 9], "the middle node gave up its last two")
            // Once a node is closed, its held leaves are the reader's: none is taken from it.
            #expect(middle.takeLastHeld(beyond: 0) == nil)
            try arrive(2, at: near)
            #expect(engine.readers.statistics.streamedLeavesYielded == 2)
            #expect(Set(near.takeHeld().keys) == [0, 1], "leaf 2 found no memory and stayed on disk only")
            #expect(far.takeHeld().isEmpty, "nothing is held beyond a nearer node")
            withExtendedLifetime(published) {}
            // Every leaf given up is still staged, to be read back once its node is committed.
            reader.store.abandonStaged(16 ..< 20)
            #expect(reader.store.commitStaged(0 ..< 3) && reader.store.commitStaged(8 ..< 12))
            let back = NodeBuffer.unpooled(capacity: Self.mib)
            for leaf in [2, 10, 11] {
                let view = try #require(reader.readBack(leaf, into: back))
                #expect(Array(view.bytes) == Array(source.bytes[leaf * Self.mib ..< (leaf + 1) * Self.mib]))
            }
            handle.close()
        }
    }

    /// Lends leaf `leaf` a buffer, fills it with `bytes` and keeps it, as a transfer does; what
    /// `keep` answered.
    static func arrive(_ leaf: Int, _ bytes: ArraySlice<UInt8>, at spill: StoreSpill) -> Bool {
        guard let buffer = spill.buffer(for: leaf) else { return false }
        bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
        let leafBytes = UnsafeRawBufferPointer(start: buffer.baseAddress, count: bytes.count)
        return spill.keep(leaf: leaf, bytes: leafBytes, digest: SHA256.hash(leafBytes))
    }

    @Test func leavesThatArriveWhileTheirNodesWriteIsOnItsWayGoInTheNextWriteTogether() async throws {
        try await withCache { cache in
            // Memory for leaves 0 to 5; leaves 6 and 7 arrive in the node's own two buffers.
            let source = MemorySource(size: 8 * Self.mib, reportedLink: Self.wan)
            let engine = Engine(source: source, memory: 6 * Self.mib, parallel: 8, cache: cache)
            let handle = try engine.open()
            let reader = handle.reader
            let disk = BusyDisk(reader.store)
            let spill = StoreSpill(
                store: disk, output: reader.id, node: 0 ..< 8, geometry: reader.geometry, services: reader.services,
                own: [.unpooled(capacity: Self.mib), .unpooled(capacity: Self.mib)], onTransferEnd: {})
            let leaf = { @Sendable (i: Int) in source.bytes[i * Self.mib ..< (i + 1) * Self.mib] }
            /// Leaf `first` arrives on another thread and its write is held up while `meanwhile`
            /// runs; what `keep` answered for `first`, once the write is let go.
            func arriveWhileBusy(_ first: Int, meanwhile: () throws -> Void) async throws -> Bool? {
                let answer = Mutex<Bool?>(nil)
                let writes = disk.writes.count
                disk.holdNextWrite()
                DispatchQueue.global().async { answer.withLock { $0 = Self.arrive(first, leaf(first), at: spill) } }
                try await eventually { disk.writes.count == writes + 1 }
                try meanwhile()
                disk.release()
                try await eventually { answer.withLock { $0 } != nil }
                return answer.withLock { $0 }
            }
            let firstWrite = try await arriveWhileBusy(0) {
                for i in 1 ..< 4 { #expect(Self.arrive(i, leaf(i), at: spill), "leaf \(i) queues, kept") }
                #expect(disk.writes == [0 ..< 1], "and waits for the write on its way")
            }
            #expect(firstWrite == true)
            #expect(disk.writes == [0 ..< 1, 1 ..< 4], "the three that queued went in one write")
            #expect(spill.stagedRun(from: 0).leaves == 0 ..< 4)
            #expect(!spill.failed)
            disk.refuse(5)
            let secondWrite = try await arriveWhileBusy(4) {
                #expect(Self.arrive(5, leaf(5), at: spill), "leaf 5 queues, and answers kept")
                // The memory is spent: leaf 6 is in one of the node's own buffers, which the
                // transfer may be waiting for, so it does not wait behind the write.
                #expect(Self.arrive(6, leaf(6), at: spill))
                #expect(disk.writes == [0 ..< 1, 1 ..< 4, 4 ..< 5, 6 ..< 7])
            }
            #expect(secondWrite == true)
            #expect(disk.writes == [0 ..< 1, 1 ..< 4, 4 ..< 5, 6 ..< 7, 5 ..< 6])
            // The refused write of a leaf that had answered kept: the node learns it from
            // `failed`, the leaf is not staged, and nothing more is written.
            #expect(spill.failed)
            #expect(spill.stagedRun(from: 0).leaves == 0 ..< 5)
            #expect(!Self.arrive(7, leaf(7), at: spill))
            #expect(disk.writes.count == 5, "no write after a refusal: the node cannot be committed")
            #expect(Set(spill.takeHeld().keys) == Set(0 ..< 5), "held: the pooled leaves staged")
            #expect(!reader.store.commitStaged(0 ..< 7), "the refused leaf fails the node's commit")
            #expect(cache.usage().usedBytes == 0, "which frees every leaf staged")
            handle.close()
        }
    }
}
