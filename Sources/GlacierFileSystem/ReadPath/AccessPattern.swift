import GlacierIntegrity

/// Watches one open handle's reads to tell a sequential reader (worth prefetching for) from a
/// random one (not worth it). The prefetch window starts at nothing — so sniffing the head of a
/// file fetches one leaf — and doubles with each sequential read up to a cap; a jump resets it.
struct AccessPattern {
    /// Bytes of reordering tolerated: the kernel's readahead issues reads slightly out of order.
    static let backwardTolerance: Int64 = 8 << 20
    static let forwardGapTolerance: Int64 = 2 << 20

    private(set) var windowLeaves = 0
    /// Bytes read in order since the handle opened or last jumped.
    private var sequentialBytes: Int64 = 0
    /// On a slow link, a reader that has read this much in order is copying the file, not
    /// sniffing its head: its window opens whole at once rather than one round trip at a time.
    static let streamingReaderBytes: Int64 = 4 << 20
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
        if let expected = nextOffset {
            let sequential =
                offset >= expected - Self.backwardTolerance && offset <= expected + Self.forwardGapTolerance
            if sequential {
                sequentialBytes += max(0, end - expected)
                windowLeaves =
                    plan.streamed && sequentialBytes >= Self.streamingReaderBytes
                    ? plan.windowLeaves : min(plan.windowLeaves, max(1, windowLeaves * 2))
                isRandom = false
                nextOffset = max(expected, end)
            } else {
                windowLeaves = 0
                sequentialBytes = 0
                prefetchedTo = 0
                isRandom = true
                nextOffset = end
            }
        } else {
            nextOffset = end  // the first read of a handle fetches only what it asks for
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
