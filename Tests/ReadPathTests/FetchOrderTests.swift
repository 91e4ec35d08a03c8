import Foundation
import GlacierClient
import GlacierIntegrity
import GlacierTestSupport
import OutputCache
import Synchronization
import Testing

@testable import GlacierFileSystem

/// Which fetch gets a connection next, and what size it is when it does: fetches a reader waits
/// on go first, and at the end of the work nodes are cut so the connections finish together.
@Suite struct FetchOrderTests {
    static let mib = 1 << 20

    /// Starts a task per place that takes a slot, notes its name and gives the slot back; returns
    /// the names in the order they got a slot, once `limiter`'s one slot was given back.
    func startOrder(
        _ limiter: FetchLimiter, _ waiters: [(String, FetchLimiter.Place)],
        whileWaiting: (FetchLimiter) -> Void = { _ in }
    ) async -> [String] {
        final class Order: Sendable { let names = Mutex<[String]>([]) }
        let order = Order()
        let held = await limiter.acquire()
        await withTaskGroup(of: Void.self) { group in
            for (name, place) in waiters {
                group.addTask {
                    await FetchLimiter.$place.withValue(place) {
                        let grant = await limiter.acquire()
                        order.names.withLock { $0.append(name) }
                        limiter.release(grant)
                    }
                }
            }
            while limiter.waitingCount < waiters.count { await Task.yield() }
            whileWaiting(limiter)
            limiter.release(held)
        }
        return order.names.withLock { $0 }
    }

    @Test func aFetchAReaderWaitsOnStartsBeforePrefetchDecidedEarlier() async {
        let limiter = FetchLimiter(slots: 1)
        let order = await startOrder(
            limiter,
            [
                ("prefetch 1", limiter.takePlace()), ("prefetch 2", limiter.takePlace()),
                ("read", limiter.takePlace(urgent: true)),
            ])
        #expect(order == ["read", "prefetch 1", "prefetch 2"])
    }

    @Test func aPrefetchAReaderComesToWaitOnIsMovedAhead() async {
        let limiter = FetchLimiter(slots: 1)
        let places = (0 ..< 4).map { _ in limiter.takePlace() }
        let order = await startOrder(limiter, places.enumerated().map { ("node \($0.offset)", $0.element) }) {
            $0.promote(places[2])
        }
        #expect(order == ["node 2", "node 0", "node 1", "node 3"])
    }

    /// Records one fetch of a leaf on `link`: 1 s to the first byte, then 1 MiB a second.
    static func measure(_ link: LinkSpeed) {
        link.record(
            VerifiedOutputRange(
                range: 0 ..< Int64(mib), totalSize: Int64(mib), leafDigests: [], serviceTreeHash: SHA256.hash([]),
                contentType: nil, archiveDescription: nil, firstByteSeconds: 1, totalSeconds: 2),
            bytes: mib, othersInFlight: 0)
    }

    @Test func theWorkLeftCountsFetchesWaitingHalfOfThoseRunningAndWhatReadersWillAskFor() async {
        let limiter = FetchLimiter(slots: 2)
        limiter.expect(100)
        let first = await limiter.acquire(leaves: 16)
        #expect(first.workLeft == 100, "nothing else runs or waits")
        let second = await limiter.acquire(leaves: 8)
        #expect(second.workLeft == 100 + 16 / 2, "with the link not measured, a running node is half done")
        limiter.release(first)
        limiter.release(second)
        limiter.expect(-100)
        let third = await limiter.acquire(leaves: 4)
        #expect(third.workLeft == 0)
        limiter.release(third)
    }

    @Test func aRunningFetchCountsWhatTheMeasuredLinkHasYetToBring() async throws {
        let link = LinkSpeed()
        // 1 s to the first byte, then 1 MiB a second: a node of 16 leaves takes 17 s.
        for _ in 0 ..< LinkSpeed.minimumSamples { Self.measure(link) }
        let limiter = FetchLimiter(slots: 2, linkSpeed: link)
        let running = await limiter.acquire(leaves: 16)
        let next = await limiter.acquire(leaves: 1)
        #expect(next.workLeft == 16, "a node just started has all of it to bring: \(next.workLeft)")
        limiter.release(next)
        limiter.release(running)
    }

    @Test func aFetchThatWaitedForItsSlotSeesTheLinkAsMeasuredMeanwhile() async throws {
        let link = LinkSpeed()
        let limiter = FetchLimiter(slots: 1, linkSpeed: link)
        let running = await limiter.acquire(leaves: 16)
        #expect(running.link == nil, "nothing measured yet")
        let waiting = Task { await limiter.acquire(leaves: 16) }
        try await eventually { limiter.waitingCount == 1 }
        // The running fetch ends and measures the link.
        Self.measure(link)
        limiter.release(running)
        let next = await waiting.value
        #expect(next.link?.latency == 1, "the grant carries the link as measured when it was given")
        limiter.release(next)
    }

    @Test func nodesAreCutOnlyWhenLittleWorkIsLeftForTheConnections() {
        // Plenty left: whole.
        #expect(NodeFetcher.tailCut(0 ..< 16, workLeftLeaves: 1000, connections: 16) == nil)
        // 116 leaves for 16 connections: about 7 each, so 4 of the 16 now.
        #expect(NodeFetcher.tailCut(0 ..< 16, workLeftLeaves: 100, connections: 16) == 4)
        // Nothing else: no smaller than the floor.
        #expect(NodeFetcher.tailCut(0 ..< 16, workLeftLeaves: 0, connections: 16) == NodeFetcher.tailFloorLeaves)
        #expect(NodeFetcher.tailCut(0 ..< 2, workLeftLeaves: 0, connections: 16) == nil)
        // One connection has nothing to share.
        #expect(NodeFetcher.tailCut(0 ..< 16, workLeftLeaves: 0, connections: 1) == nil)
        // A share a hair under the node (255 leaves for 16 connections): whole, as the request a
        // cut adds (under (i), a first byte costs what 1.9 leaves take) costs more than the
        // node's lateness. Without that cost it is halved.
        #expect(NodeFetcher.tailCut(0 ..< 16, workLeftLeaves: 239, connections: 16, latencyLeaves: 1.9) == nil)
        #expect(NodeFetcher.tailCut(0 ..< 16, workLeftLeaves: 239, connections: 16) == 8)
        // Well under (216 leaves, 13.5 each): cut, as the node ends 2.5 leaves late.
        #expect(NodeFetcher.tailCut(0 ..< 16, workLeftLeaves: 200, connections: 16, latencyLeaves: 1.9) == 8)
    }

    @Test(.timeLimit(.minutes(1))) func aConnectionGivenBackTwiceIsGivenBackOnce() async throws {
        // A streamed fetch gives its connection back as its transfer ends, and again when it is over.
        let limiter = FetchLimiter(slots: 1)
        let statistics = ReadStatistics()
        let first = ConnectionUse(await limiter.acquire(), of: limiter, statistics: statistics)
        #expect(statistics.snapshot.fetchesInFlight == 1)
        first.end()
        first.end()
        #expect(statistics.snapshot.fetchesInFlight == 0)
        let second = await limiter.acquire()
        let third = Task { await limiter.acquire() }
        // Given back twice, the slot would let the third start at once, and none would wait.
        try await eventually { limiter.waitingCount > 0 }
        #expect(limiter.waitingCount == 1, "one slot, held by the second fetch")
        limiter.release(second)
        limiter.release(await third.value)
    }

    /// Reads `source` whole through an engine on a slow link (so nodes are streamed at 16
    /// leaves) with `parallel` connections, and returns the requests, checking it was exact.
    func readOnASlowLink(_ source: MemorySource, parallel: Int) async throws -> (requests: [Range<Int64>], cuts: Int) {
        try await TempDirectory.with("tail") { dir in
            let cache = try OutputCache(directory: dir.path, maxBytes: 1 << 30, minFreeBytes: 0)
            let engine = Engine(source: source, memory: 64 << 20, parallel: parallel, cache: cache)
            let handle = try engine.open()
            for i in 0 ..< 6 { _ = await handle.read(offset: Int64(i * Self.mib), size: 4096) }
            #expect(await handle.readAll() == source.bytes)
            let requests = source.requests
            let fetched = requests.reduce(Int64(0)) { $0 + $1.upperBound - $1.lowerBound }
            #expect(fetched == Int64(source.bytes.count), "every byte fetched once")
            #expect(requests.allSatisfy { source.geometry.isTreeHashAligned($0) }, "every piece is a tree node")
            #expect(handle.matchedRoot == source.treeHash.hex)
            handle.close()
            return (requests, engine.readers.statistics.tailCuts)
        }
    }

    @Test func whenLittleWorkIsLeftANodeIsCutSoIdleConnectionsShareIt() async throws {
        // 64 leaves in all for 8 connections: whatever runs or waits, no connection's share of
        // the work left reaches a node of 16, so every such node is cut as it starts.
        let source = MemorySource(size: 64 * Self.mib, latency: .milliseconds(5), reportedLink: StreamedNodeTests.wan)
        let (requests, cuts) = try await readOnASlowLink(source, parallel: 8)
        #expect(cuts > 0)
        #expect(!requests.contains { $0.count >= Int64(16 * Self.mib) }, "no node of 16 leaves went whole")
    }

    @Test func whileMuchWorkIsLeftNodesAreFetchedWhole() async throws {
        // Two connections: a node ending at 96 MiB or before has at least 64 leaves after it, of
        // which one other running node can hold 16, so each connection's share is at least 32.
        let source = MemorySource(
            size: 160 * Self.mib + 999, latency: .milliseconds(5), reportedLink: StreamedNodeTests.wan)
        let (requests, _) = try await readOnASlowLink(source, parallel: 2)
        let node = Int64(16 * Self.mib)
        // After the window opened (its nodes grow from one leaf).
        let middle = requests.filter { $0.lowerBound >= 2 * node && $0.upperBound <= 96 * Int64(Self.mib) }
        #expect(
            middle.count == 4 && middle.allSatisfy { $0.count == node },
            "nodes are whole: \(middle.map { "\($0.lowerBound >> 20)+\($0.count >> 20)" })")
    }

    @Test func aHeadReadIsNotQueuedBehindAnotherReadersPrefetch() async throws {
        // Two connections, and a copy whose window holds more nodes than they can take at once.
        let source = MemorySource(size: 128 * Self.mib, latency: .milliseconds(100))
        let engine = Engine(source: source, memory: 160 << 20, parallel: 2)
        let copy = try engine.open()
        for i in 0 ..< 8 { _ = await copy.read(offset: Int64(i * Self.mib / 2), size: Self.mib / 2) }
        let limiter = engine.readers.services.limiter
        #expect(limiter.waitingCount >= 3, "the copy's nodes wait for the connections")
        let startedBefore = source.requests.count
        let head = try engine.open()
        let far = Int64(120 * Self.mib)
        #expect(await head.read(offset: far, size: 4096).bytes == Array(source.bytes[Int(far) ..< Int(far) + 4096]))
        let position = try #require(source.requests.firstIndex { $0.contains(far) })
        #expect(position <= startedBefore + 1, "the head read took the next free connection")
        #expect(await copy.readAll() == source.bytes)
        head.close()
        copy.close()
    }
}
