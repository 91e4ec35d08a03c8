import Testing

@testable import GlacierFileSystem

/// The memory budget, how far reads that cannot wait may go over it, and which leaves make room.
@Suite struct BufferPoolTests {
    static let mib = 1 << 20

    @Test func diskReadbacksMayOverdrawWhatTheKernelsReadsInProgressCanHold() {
        let pool = BufferPool(budget: 4 * Self.mib, reclaim: { false })
        /// Takes buffers until the pool refuses, and says how many went over the budget.
        func overdrawn() -> Int {
            var held: [NodeBuffer] = []
            while let buffer = pool.acquireNow(capacity: Self.mib) { held.append(buffer) }
            return held.count - 4
        }
        #expect(overdrawn() == 16, "the usual 8 MiB readahead: a sequential reader's reads hold up to 16 MiB")
        pool.allowOverdraft(forReadahead: 16 * Self.mib)
        #expect(overdrawn() == 32, "a slow link's 16 MiB readahead: up to 32 MiB")
    }

    @Test func ofLeavesLoadedAheadTheOneWantedLastIsDroppedFirst() {
        let statistics = ReadStatistics()
        let memory = LeafMemory(statistics: statistics)
        let pool = BufferPool(budget: 16 * Self.mib, reclaim: { false })
        func view() -> LeafView { LeafView(node: pool.acquireNow(capacity: Self.mib)!, offset: 0, length: Self.mib) }
        func held(_ output: Int, _ leaves: [Int]) -> [Int] {
            leaves.filter { memory.contains(output: output, leaf: $0) }
        }
        memory.insert(output: 1, leaf: 7, view: view())  // read: goes first
        memory.insert(output: 1, leaf: 3, view: view(), unread: true)  // left behind by a jump
        for leaf in [10, 11, 12] { memory.insert(output: 1, leaf: leaf, view: view(), unread: true) }
        memory.insert(output: 2, leaf: 13, view: view(), unread: true)
        #expect(memory.evictOldest() && held(1, [7]).isEmpty)
        #expect(statistics.droppedUnread.load(ordering: .relaxed) == 0)
        #expect(memory.evictOldest() && held(1, [3]).isEmpty, "a leaf left behind ages out in order")
        // Leaf 10 is now the oldest, and its reader's next: leaf 12, the last of its run, goes instead.
        #expect(memory.evictOldest() && held(1, [10, 11, 12]) == [10, 11])
        #expect(held(2, [13]) == [13], "another output's leaf is not taken for it")
        #expect(memory.evictOldest() && held(1, [10, 11]) == [10])
        #expect(statistics.droppedUnread.load(ordering: .relaxed) == 3)
        #expect(memory.evictOldest() && memory.evictOldest() && !memory.evictOldest(), "the last two went, then none")
    }
}
