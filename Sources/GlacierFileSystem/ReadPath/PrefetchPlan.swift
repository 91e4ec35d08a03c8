/// How far ahead a sequential reader may fetch, and in tree nodes of what size: decided by
/// `OutputReaders` from the memory budget and the connections, per open handle.
struct PrefetchPlan: Sendable, Equatable {
    /// The most leaves ahead of the reader that may be fetched or in flight.
    var windowLeaves: Int
    /// The node size, in leaves, once the window is fully open: the window over the reader's
    /// share of connections, so each has a request.
    var nodeLeaves: Int

    /// The largest power of two not above `n` (at least 1).
    static func powerOfTwo(atMost n: Int) -> Int {
        n <= 1 ? 1 : 1 << (Int.bitWidth - 1 - n.leadingZeroBitCount)
    }
}
