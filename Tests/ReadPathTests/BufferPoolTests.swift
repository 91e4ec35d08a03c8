import Testing

@testable import GlacierFileSystem

/// The memory budget, and how far reads that cannot wait may go over it.
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
}
