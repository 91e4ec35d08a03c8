import GlacierIntegrity

/// Watches one open handle's reads to tell a sequential reader (worth prefetching for) from a
/// random one (not worth it). The prefetch window starts at nothing — so sniffing the head of a
/// file fetches one leaf — and doubles with each sequential read up to a cap; or, where round trips
/// may be costly, opens whole once the reader is found copying; a jump resets it.
struct AccessPattern {
    /// Bytes of reordering tolerated: the kernel's readahead issues reads slightly out of order.
    static let backwardTolerance: Int64 = 8 << 20
    static let forwardGapTolerance: Int64 = 2 << 20

    private(set) var windowLeaves = 0
    /// Where the run of reads in order began (the handle's open, or its last jump). The kernel's
    /// readahead sends reads side by side, and they may arrive out of order: a read that ends
    /// where the run begins moves its start back, so a run from the head is known as one.
    private var runStart: Int64 = 0
    /// Bytes the run's reads brought past its end: the gaps a reader skips, and reads behind the
    /// run (a reader going backwards), are not counted.
    private var runBytes: Int64 = 0
    /// A run from the file's first byte that has read this much is a copy, not a sniff of the
    /// head: where the plan allows (`opensWhole`) its window opens whole at once rather than one
    /// round trip at a time. A sniff through stdio or Python reads `st_blksize` (1 MiB) at once,
    /// which the kernel's first readahead turns into 2 MiB of reads; only a reader that goes on
    /// past that makes a third.
    static let copyingReaderBytes: Int64 = 3 << 20
    /// Elsewhere a run must read this much to count as a copy: a reader that seeks and reads a
    /// few MiB at a time would otherwise open a whole window at every seek.
    static let copyingRunBytes: Int64 = 4 << 20
    private var nextOffset: Int64?
    private var prefetchedTo = 0
    private(set) var isRandom = false

    struct Decision {
        /// Leaves to start loading ahead of the reader.
        var prefetch: Range<Int>?
        /// The largest tree node to request for them.
        var maxNodeLeaves: Int
        /// The handle reads at random: serve small reads by blocks, prefetch nothing.
        var isRandom: Bool
        /// Fetch the prefetched nodes streamed to the cache.
        var streamed = false
        /// Leaves to read back from the cache into memory just ahead of the reader (streamed).
        var loadAhead: Range<Int>? = nil
    }

    /// Leaves a sequential reader has yet to have prefetched, to the output's end: work the
    /// connections can expect (`FetchLimiter.expect`).
    func leavesAhead(leafCount: Int) -> Int {
        isRandom || windowLeaves == 0 ? 0 : max(0, leafCount - prefetchedTo)
    }

    mutating func record(offset: Int64, size: Int, leafSize: Int, leafCount: Int, plan: PrefetchPlan) -> Decision {
        let end = offset + Int64(size)
        if let expected = nextOffset,
            offset >= expected - Self.backwardTolerance && offset <= expected + Self.forwardGapTolerance
        {
            if end >= runStart { runStart = min(runStart, offset) }
            runBytes += max(0, end - max(offset, expected))
            nextOffset = max(expected, end)
            let copying = runBytes >= (runStart == 0 ? Self.copyingReaderBytes : Self.copyingRunBytes)
            if plan.opensWhole {
                // Until then what is read is fetched, and no more: steps of a doubling window cut
                // the head into more requests, each waiting a round trip (a WAN copy's first 5
                // MiB came in 5, and 8 copies at once were 2 % slower for it).
                windowLeaves = copying ? plan.windowLeaves : 0
            } else {
                windowLeaves = min(plan.windowLeaves, max(1, windowLeaves * 2))
            }
            isRandom = false
        } else {
            // The handle's first read fetches only what it asks for; a jump closes the window.
            if nextOffset != nil {
                windowLeaves = 0
                prefetchedTo = 0
                isRandom = true
            }
            runStart = offset
            runBytes = Int64(size)
            nextOffset = end
        }
        guard windowLeaves > 0 else { return Decision(prefetch: nil, maxNodeLeaves: 1, isRandom: isRandom) }
        let current = Int(offset / Int64(leafSize))
        // Nodes grow with the window, so even while it opens there is a node per connection. On a
        // slow link (streamed) each request first waits a round trip, so there they grow as fast as
        // the tree allows: half the window.
        let nodesPerWindow = plan.streamed ? 2 : plan.connections
        let nodeCap = TreeGeometry.previousPowerOfTwo(max(1, min(plan.nodeLeaves, windowLeaves / nodesPerWindow)))
        // End on a node boundary, so each step of the window is made of whole, aligned nodes.
        let alignedEnd = (current + windowLeaves + nodeCap - 1) / nodeCap * nodeCap
        let target = current ..< min(leafCount, alignedEnd)
        let start = max(target.lowerBound, prefetchedTo)
        // Streamed leaves arrive on disk at any time: the near ones are asked for on every read.
        let near = plan.streamed ? current ..< min(leafCount, current + max(1, plan.nearLeaves)) : nil
        guard start < target.upperBound else {
            return Decision(
                prefetch: nil, maxNodeLeaves: nodeCap, isRandom: false, streamed: plan.streamed, loadAhead: near)
        }
        prefetchedTo = target.upperBound
        return Decision(
            prefetch: start ..< target.upperBound, maxNodeLeaves: nodeCap, isRandom: false, streamed: plan.streamed,
            loadAhead: near)
    }
}
