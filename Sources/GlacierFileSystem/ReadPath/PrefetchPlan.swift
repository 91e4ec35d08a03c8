/// How far ahead a sequential reader may fetch, and in tree nodes of what size: decided by
/// `OutputReaders` from the memory budget and the connections, per open handle.
struct PrefetchPlan: Sendable, Equatable {
    /// The most leaves ahead of the reader that may be fetched or in flight.
    var windowLeaves: Int
    /// The node size, in leaves, once the window is fully open: the window over the reader's
    /// share of connections, so each has a request.
    var nodeLeaves: Int
    /// Nodes are streamed to the cache as they arrive (a slow link): the window is then disk, and
    /// only the `nearLeaves` just ahead of the reader are read back into memory.
    var streamed = false
    var nearLeaves = 0
    /// A copying reader (see `AccessPattern.copyingReaderBytes`) gets the whole window at once
    /// instead of doubling it read by read: on a slow link each doubling costs a round
    /// trip, and a link not yet measured may be slow. On a link measured fast, it doubles.
    var opensWhole: Bool
    /// The reader's share of `--parallel-fetches`: while the window opens, its nodes are cut so
    /// that each of these has one.
    var connections: Int

    init(
        windowLeaves: Int, nodeLeaves: Int, connections: Int? = nil, streamed: Bool = false, nearLeaves: Int = 0,
        opensWhole: Bool? = nil
    ) {
        self.windowLeaves = windowLeaves
        self.nodeLeaves = nodeLeaves
        self.connections = connections ?? max(1, windowLeaves / max(1, nodeLeaves))
        self.streamed = streamed
        self.nearLeaves = nearLeaves
        self.opensWhole = opensWhole ?? streamed
    }
}
