import Foundation
import GlacierClient
import GlacierIntegrity
import Synchronization
import Testing

@testable import GlacierFileSystem

/// The read engine driven through its front door, with an in-memory service: no FUSE, no root,
/// no emulator process. Each test names the behaviour it pins down.
@Suite struct ReadEngineTests {
    static let mib = 1 << 20

    @Test func aSequentialReadIsExactAndFetchesEachLeafOnce() async throws {
        let source = MemorySource(size: 40 * Self.mib + 12345)
        let engine = Engine(source: source)
        let handle = try engine.open()
        let read = await handle.readAll()
        #expect(read == source.bytes)
        let fetched = source.requests.reduce(Int64(0)) { $0 + $1.upperBound - $1.lowerBound }
        #expect(fetched == Int64(source.bytes.count), "every byte fetched exactly once")
        #expect(source.requests.allSatisfy { source.geometry.isTreeHashAligned($0) }, "every request is a tree node")
        #expect(source.requests.contains { $0.count > Int64(Self.mib) }, "the window grew to multi-leaf nodes")
        handle.close()
    }

    @Test func aHeadReadFetchesOneLeaf() async throws {
        let source = MemorySource(size: 30 * Self.mib)
        let handle = try Engine(source: source).open()
        let head = await handle.read(offset: 0, size: 4096).bytes
        #expect(head == Array(source.bytes[0 ..< 4096]))
        #expect(source.requests == [0 ..< Int64(Self.mib)], "one leaf, nothing more")
    }

    @Test func concurrentReadsOfALeafShareOneFetch() async throws {
        let source = MemorySource(size: 8 * Self.mib)
        let engine = Engine(source: source)
        let handles = try (0 ..< 8).map { _ in try engine.open() }
        let results = await withTaskGroup(of: [UInt8]?.self) { group in
            for (i, h) in handles.enumerated() {
                group.addTask { await h.read(offset: Int64(3 * Self.mib + i * 1000), size: 500).bytes }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.allSatisfy { $0 != nil })
        #expect(source.requests == [Int64(3 * Self.mib) ..< Int64(4 * Self.mib)], "one request for all eight")
    }

    @Test func aTinyMemoryBudgetStillReadsExactly() async throws {
        let source = MemorySource(size: 48 * Self.mib)
        let engine = Engine(source: source, memory: 4 * Self.mib, parallel: 4)
        let handle = try engine.open()
        #expect(await handle.readAll() == source.bytes)
        let peak = engine.readers.services.pool.peakBytes
        #expect(peak <= 4 * Self.mib + BufferPool.defaultOverdraft, "memory stayed within the budget: peak \(peak)")
    }

    @Test func prefetchStartsAtNothingDoublesAndResetsOnAJump() {
        // On a link measured fast (the plan does not open whole), the window doubles read by read.
        var pattern = AccessPattern()
        func record(_ offset: Int64) -> AccessPattern.Decision {
            pattern.record(
                offset: offset, size: 131_072, leafSize: Self.mib, leafCount: 1000,
                plan: PrefetchPlan(windowLeaves: 64, nodeLeaves: 16))
        }
        #expect(record(0).prefetch == nil, "a first read prefetches nothing")
        let second = record(131_072)
        #expect(second.prefetch != nil && !second.isRandom)
        var windows: [Int] = []
        for i in 2 ..< 12 {
            _ = record(Int64(i) * 131_072)
            windows.append(pattern.windowLeaves)
        }
        #expect(windows == windows.sorted() && windows.last == 64, "the window doubles up to its cap: \(windows)")
        let jump = record(900 * Int64(Self.mib))
        #expect(jump.isRandom && jump.prefetch == nil && pattern.windowLeaves == 0, "a jump resets it")
    }

    @Test func thePlanGivesEachConnectionANodeOfTheWindow() throws {
        // 160 MiB and 16 fetches: 128 MiB of window in 8 MiB nodes, one per connection.
        // The link is not measured yet, so it may be slow: a copying reader gets the window whole.
        let one = Engine(source: MemorySource(size: Self.mib), memory: 160 << 20, parallel: 16)
        let handle = try one.open()
        #expect(one.readers.prefetchPlan() == PrefetchPlan(windowLeaves: 128, nodeLeaves: 8, opensWhole: true))
        handle.close()
        // Eight readers share memory and connections alike: two 8 MiB nodes each.
        let eight = Engine(source: MemorySource(size: Self.mib), memory: 160 << 20, parallel: 16)
        let handles = try (0 ..< 8).map { _ in try eight.open() }
        #expect(eight.readers.prefetchPlan() == PrefetchPlan(windowLeaves: 16, nodeLeaves: 8, opensWhole: true))
        handles.forEach { $0.close() }
        // Little memory: small nodes, but still a power of two and at least a leaf.
        let small = Engine(source: MemorySource(size: Self.mib), memory: 12 << 20, parallel: 16)
        let h = try small.open()
        #expect(
            small.readers.prefetchPlan()
                == PrefetchPlan(windowLeaves: 9, nodeLeaves: 1, connections: 16, opensWhole: true))
        h.close()
        #expect([0, 1, 2, 3, 5, 8, 9, 1000].map(TreeGeometry.previousPowerOfTwo) == [1, 1, 2, 2, 4, 8, 8, 512])
    }

    @Test func aSequentialReaderKeepsEveryConnectionBusyOnASlowLink() async throws {
        // Every answer waits 20 ms: only many requests at once make a sequential read fast.
        let source = MemorySource(size: 96 * Self.mib, latency: .milliseconds(20))
        let engine = Engine(source: source, memory: 64 << 20, parallel: 8)
        let handle = try engine.open()
        #expect(await handle.readAll() == source.bytes)
        #expect(
            source.peakRequestsInFlight == 8, "all 8 connections were busy at once: peak \(source.peakRequestsInFlight)"
        )
        let fetched = source.requests.reduce(Int64(0)) { $0 + $1.upperBound - $1.lowerBound }
        #expect(fetched == Int64(source.bytes.count), "still every byte fetched exactly once")
        handle.close()
    }

    @Test func aRefusedOutputServesNothingAndFetchesNothing() async throws {
        let source = MemorySource(size: 4 * Self.mib)
        let engine = Engine(source: source)
        let shape = JobOutputShape(
            size: Int64(source.bytes.count), verification: .refused(reason: "test"),
            isInventory: false, inventoryFormat: nil, expectedTreeHash: nil)
        let handle = try engine.open(shape: shape)
        for offset in [0, 100_000, 3 * Self.mib] {
            #expect(await handle.read(offset: Int64(offset), size: 4096).failure != nil)
        }
        #expect(source.requests.isEmpty)
    }

    @Test func aRootMismatchFailsTheLastLeafAndEveryReadAfter() async throws {
        // The service vouches for each node, but the job's tree hash is another output's.
        let source = MemorySource(size: 6 * Self.mib)
        let engine = Engine(source: source)
        let handle = try engine.open(treeHash: SHA256.hash([1, 2, 3]))
        #expect(await handle.readAll() == nil, "a copy cannot complete")
        #expect(await handle.read(offset: 0, size: 10).failure != nil, "nothing is served after a mismatch")
        let reader = handle.reader
        #expect(reader.store.wholeOutputCheck?.result == .mismatched)
        #expect((reader.store as? MemoryOutputStore)?.heldLeafCount == 0, "the stored bytes were dropped")
    }

    @Test func damagedNodesAreSplitDownToLeaves() async throws {
        // Any request over one leaf arrives damaged; single leaves get through.
        let source = MemorySource(size: 32 * Self.mib) { _, range in range.count > Self.mib ? .corrupt : .serve }
        let engine = Engine(source: source)
        let handle = try engine.open()
        #expect(await handle.readAll() == source.bytes)
        #expect(engine.readers.statistics.nodeSplits > 0)
        #expect(source.requests.filter { $0.count == Int64(Self.mib) }.count >= 32, "every leaf came down on its own")
    }

    @Test func aNodeBrokenPartWayKeepsTheLeavesThatArrivedWhole() async throws {
        // The first 16 MiB node breaks after 12.5 MiB: leaves 0-11 are kept and only 12-15 are asked for.
        let source = MemorySource(size: 16 * Self.mib) { n, range -> MemorySource.Behaviour in
            n == 0 && range.count == Int64(16 * Self.mib) ? .breakAfter(12 * Self.mib + Self.mib / 2) : .serve
        }
        // One connection: a lone node with connections idle would be cut at its start.
        let engine = Engine(source: source, parallel: 1)
        let reader = try engine.open().reader
        reader.prefetch(0 ..< 16, maxNodeLeaves: 16)
        let handle = try engine.open()
        #expect(await handle.readAll() == source.bytes)
        let asked = source.requests.dropFirst().reduce(Int64(0)) { $0 + Int64($1.count) }
        #expect(
            asked == Int64(4 * Self.mib),
            "only the leaves that did not arrive whole are fetched again: \(source.requests)")
        #expect(engine.readers.statistics.bytesSalvaged == 12 * Self.mib)
    }

    @Test func aBrokenNodeWhoseRestPartlyFailsStillServesTheRestsGoodLeaves() async throws {
        // The 16 MiB node breaks after 12.5 MiB, and leaf 15 never arrives whole: leaves 12-14 were
        // verified on their own, so they are served without being fetched again; only leaf 15
        // fails, and the kept leaves 0-11, which the announced checksum can no longer vouch for
        // without leaf 15, are fetched again.
        let source = MemorySource(size: 16 * Self.mib) { n, range -> MemorySource.Behaviour in
            if n == 0 && range.count == Int64(16 * Self.mib) { return .breakAfter(12 * Self.mib + Self.mib / 2) }
            return range.contains(Int64(15 * Self.mib)) ? .corrupt : .serve
        }
        let engine = Engine(source: source, parallel: 1)
        let reader = try engine.open().reader
        reader.prefetch(0 ..< 16, maxNodeLeaves: 16)
        let handle = try engine.open()
        for leaf in 0 ..< 15 {
            let at = leaf * Self.mib
            #expect(
                await handle.read(offset: Int64(at), size: Self.mib).bytes
                    == Array(source.bytes[at ..< at + Self.mib]), "leaf \(leaf)")
        }
        #expect(await handle.read(offset: Int64(15 * Self.mib), size: 10).failure != nil)
        let rest = Int64(12 * Self.mib) ..< Int64(15 * Self.mib)
        let restFetched = source.requests.filter { rest.contains($0.lowerBound) && $0.upperBound <= rest.upperBound }
            .reduce(Int64(0)) { $0 + Int64($1.count) }
        #expect(restFetched == Int64(3 * Self.mib), "leaves 12-14 fetched once: \(source.requests)")
        #expect(engine.readers.statistics.bytesSalvaged == 0)
        handle.close()
    }

    @Test func aBrokenNodeWhoseRestIsGoneFailsItsKeptLeavesWithoutAskingAgain() async throws {
        let gone = GlacierError.service(
            ServiceErrorDetails(code: "ResourceNotFoundException", message: "gone", httpStatus: 404, requestId: nil))
        let source = MemorySource(size: 16 * Self.mib) { n, range -> MemorySource.Behaviour in
            if n == 0 && range.count == Int64(16 * Self.mib) { return .breakAfter(12 * Self.mib + Self.mib / 2) }
            return range.lowerBound >= Int64(12 * Self.mib) ? .fail(gone) : .serve
        }
        let engine = Engine(source: source, parallel: 1)
        let reader = try engine.open().reader
        reader.prefetch(0 ..< 16, maxNodeLeaves: 16)
        let handle = try engine.open()
        let failure = await handle.read(offset: 0, size: 10).failure
        #expect(failure?.message.contains("no longer available") == true, "\(String(describing: failure))")
        #expect(
            !source.requests.dropFirst().contains { $0.lowerBound < Int64(12 * Self.mib) },
            "the kept leaves are not asked for again: \(source.requests)")
        handle.close()
    }

    @Test func resetsAndTransientFailuresAreRetriedUntilExact() async throws {
        let unavailable = GlacierError.service(
            ServiceErrorDetails(
                code: "ServiceUnavailableException", message: "busy",
                httpStatus: 503, requestId: nil))
        let source = MemorySource(size: 10 * Self.mib) { n, _ -> MemorySource.Behaviour in
            switch n {
            case 0: return .reset
            case 1: return .fail(unavailable)
            default: return .serve
            }
        }
        let handle = try Engine(source: source).open()
        #expect(await handle.readAll() == source.bytes)
    }

    @Test func aLeafThatNeverArrivesFailsTheReadWithItsReason() async throws {
        let source = MemorySource(size: 3 * Self.mib) { _, range in
            range.lowerBound == Int64(Self.mib) ? .corrupt : .serve
        }
        let handle = try Engine(source: source).open()
        let failure = await handle.read(offset: Int64(Self.mib), size: 100).failure
        #expect(failure?.message.contains("failed after") == true, "\(String(describing: failure))")
        #expect(
            await handle.read(offset: 0, size: 100).bytes == Array(source.bytes[0 ..< 100]), "other leaves still read")
    }

    @Test func anExpiredOutputFailsMissesAtOnce() async throws {
        let gone = GlacierError.service(
            ServiceErrorDetails(
                code: "ResourceNotFoundException", message: "gone",
                httpStatus: 404, requestId: nil))
        let source = MemorySource(size: 3 * Self.mib) { _, range -> MemorySource.Behaviour in
            range.lowerBound == 0 ? .serve : .fail(gone)
        }
        let handle = try Engine(source: source).open()
        #expect(await handle.read(offset: 0, size: 10).bytes != nil)
        let failure = await handle.read(offset: Int64(Self.mib), size: 10).failure
        #expect(
            failure?.message.contains("no longer available from the service") == true, "\(String(describing: failure))")
        let before = source.requests.count
        #expect(await handle.read(offset: Int64(2 * Self.mib), size: 10).failure != nil)
        #expect(source.requests.count == before, "no request once the output is known to be gone")
    }

    @Test func theRegistryDropsAReaderAfterItsLastHandle() async throws {
        let source = MemorySource(size: 2 * Self.mib)
        let engine = Engine(source: source)
        let a = try engine.open(), b = try engine.open()
        #expect(a.reader === b.reader, "one reader per output")
        #expect(engine.readers.registeredReaderCount == 1)
        a.close()
        #expect(engine.readers.registeredReaderCount == 1)
        b.close()
        #expect(engine.readers.registeredReaderCount == 0)
    }
}
