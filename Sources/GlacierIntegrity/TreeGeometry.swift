/// Arithmetic on the tree that the tree hash builds over an output of `size` bytes.
///
/// A *tree node* is a run of leaves `[j·2^i, min((j+1)·2^i, leafCount))`. A byte range is
/// *tree-hash aligned* when it is exactly the bytes of one node; only such ranges come back from
/// Glacier with an `x-amz-sha256-tree-hash`, and only they can be verified on their own.
public struct TreeGeometry: Hashable, Sendable {
    public let size: Int64
    public let leafCount: Int

    public init(size: Int64) {
        precondition(size >= 0, "sizes are never negative")
        self.size = size
        self.leafCount = Int((size + Int64(TreeHash.leafSize) - 1) / Int64(TreeHash.leafSize))
    }

    public static let leafSize = Int64(TreeHash.leafSize)

    /// The bytes of a run of leaves; the last leaf may be short.
    public func bytes(ofLeaves leaves: Range<Int>) -> Range<Int64> {
        precondition(leaves.lowerBound >= 0 && leaves.upperBound <= leafCount, "leaf run outside the output")
        let upper = min(Int64(leaves.upperBound) * Self.leafSize, size)
        // An empty run after a short last leaf starts past the end; clamp it to an empty range there.
        return min(Int64(leaves.lowerBound) * Self.leafSize, upper) ..< upper
    }

    /// The leaves that hold any byte of `bytes` (clamped to the output).
    public func leaves(covering bytes: Range<Int64>) -> Range<Int> {
        let lower = max(0, min(bytes.lowerBound, size))
        let upper = max(lower, min(bytes.upperBound, size))
        guard upper > lower else { return Int(lower / Self.leafSize) ..< Int(lower / Self.leafSize) }
        return Int(lower / Self.leafSize) ..< Int((upper + Self.leafSize - 1) / Self.leafSize)
    }

    public func leafLength(_ leaf: Int) -> Int {
        let r = bytes(ofLeaves: leaf ..< leaf + 1)
        return Int(r.upperBound - r.lowerBound)
    }

    /// Whether a run of leaves is one node of the tree.
    public func isNode(_ leaves: Range<Int>) -> Bool {
        let n = leaves.count
        guard n > 0, leaves.lowerBound >= 0, leaves.upperBound <= leafCount else { return false }
        let span = Self.nextPowerOfTwo(n)
        guard leaves.lowerBound % span == 0 else { return false }
        return n == span || leaves.upperBound == leafCount
    }

    /// Whether a byte range is exactly one node, and so comes with a checksum from Glacier.
    public func isTreeHashAligned(_ bytes: Range<Int64>) -> Bool {
        guard bytes.lowerBound >= 0, bytes.upperBound <= size, !bytes.isEmpty,
            bytes.lowerBound % Self.leafSize == 0
        else { return false }
        let leaves = self.leaves(covering: bytes)
        guard self.bytes(ofLeaves: leaves).upperBound == bytes.upperBound else { return false }
        return isNode(leaves)
    }

    /// Splits a run of leaves into the fewest tree nodes, none longer than `maxLeaves` (a power of
    /// two), so that each piece can be fetched and verified on its own.
    public func nodes(covering leaves: Range<Int>, maxLeaves: Int = .max) -> [Range<Int>] {
        precondition(leaves.lowerBound >= 0 && leaves.upperBound <= leafCount, "leaf run outside the output")
        let cap = max(1, maxLeaves == .max ? Int.max : Self.previousPowerOfTwo(maxLeaves))
        var result: [Range<Int>] = []
        var start = leaves.lowerBound
        while start < leaves.upperBound {
            var span = 1
            while span <= cap / 2, start % (span * 2) == 0 {
                let end = min(start + span * 2, leafCount)
                if end > leaves.upperBound { break }
                span *= 2
            }
            let end = min(start + span, leafCount)
            result.append(start ..< end)
            start = end
        }
        return result
    }

    /// The two child nodes of a node of more than one leaf (the right one may be short, at the
    /// end of the output), each verifiable on its own.
    public func children(of node: Range<Int>) -> [Range<Int>] {
        guard node.count > 1 else { return [node] }
        return nodes(covering: node, maxLeaves: Self.nextPowerOfTwo(node.count) / 2)
    }

    /// The smallest power of two not below `n` (at least 1).
    public static func nextPowerOfTwo(_ n: Int) -> Int {
        var p = 1
        while p < n { p <<= 1 }
        return p
    }

    /// The largest power of two not above `n` (at least 1).
    public static func previousPowerOfTwo(_ n: Int) -> Int {
        var p = 1
        while p <= n / 2 { p <<= 1 }
        return p
    }
}
