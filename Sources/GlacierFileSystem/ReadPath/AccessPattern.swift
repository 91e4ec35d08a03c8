/// Watches one open handle's reads to tell a sequential reader (worth prefetching for) from a
/// random one (not worth it). The prefetch window starts at nothing — so sniffing the head of a
/// file fetches one leaf — and doubles with each sequential read up to a cap; a jump resets it.
struct AccessPattern {
    /// Bytes of reordering tolerated: the kernel's readahead issues reads slightly out of order.
    static let backwardTolerance: Int64 = 8 << 20
    static let forwardGapTolerance: Int64 = 2 << 20

    private(set) var windowLeaves = 0
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
    }

    mutating func record(offset: Int64, size: Int, leafSize: Int, leafCount: Int, plan: PrefetchPlan) -> Decision {
        let end = offset + Int64(size)
        if let expected = nextOffset {
            let sequential =
                offset >= expected - Self.backwardTolerance && offset <= expected + Self.forwardGapTolerance
            if sequential {
                windowLeaves = min(plan.windowLeaves, max(1, windowLeaves * 2))
                isRandom = false
                nextOffset = max(expected, end)
            } else {
                windowLeaves = 0
                prefetchedTo = 0
                isRandom = true
                nextOffset = end
            }
        } else {
            nextOffset = end  // the first read of a handle fetches only what it asks for
        }
        guard windowLeaves > 0 else { return Decision(prefetch: nil, maxNodeLeaves: 1, isRandom: isRandom) }
        let current = Int(offset / Int64(leafSize))
        // Nodes grow with the window, so even while it opens there is a node per connection.
        let nodeCap = PrefetchPlan.powerOfTwo(
            atMost: max(
                1,
                min(
                    plan.nodeLeaves,
                    windowLeaves * plan.nodeLeaves / max(1, plan.windowLeaves))))
        // End on a node boundary, so each step of the window is made of whole, aligned nodes.
        let alignedEnd = (current + windowLeaves + nodeCap - 1) / nodeCap * nodeCap
        let target = current ..< min(leafCount, alignedEnd)
        let start = max(target.lowerBound, prefetchedTo)
        guard start < target.upperBound else { return Decision(prefetch: nil, maxNodeLeaves: nodeCap, isRandom: false) }
        prefetchedTo = target.upperBound
        return Decision(prefetch: start ..< target.upperBound, maxNodeLeaves: nodeCap, isRandom: false)
    }
}
