/// The tree-hash tree over an output, enumerated node by node the way the tree hash builds it:
/// leaves first, then each level pairs neighbours and promotes an odd last node unchanged. The
/// geometry tests ask this enumeration, never a formula shared with the code under test.
struct ReferenceTree {
    static let mib: Int64 = 1 << 20

    let size: Int64
    let leafCount: Int
    /// `levels[0]` holds the leaves; every level is sorted and covers all leaves.
    let levels: [[Range<Int>]]

    init(size: Int64) {
        self.size = size
        // Count the leaves by walking the output, as a reader chunking it would.
        leafCount = Int(size / Self.mib) + (size % Self.mib == 0 ? 0 : 1)
        var level = (0 ..< leafCount).map { $0 ..< $0 + 1 }
        var levels = [level]
        while level.count > 1 {
            var next: [Range<Int>] = []
            var i = 0
            while i + 1 < level.count {
                next.append(level[i].lowerBound ..< level[i + 1].upperBound)
                i += 2
            }
            if i < level.count { next.append(level[i]) }
            levels.append(next)
            level = next
        }
        self.levels = levels
    }

    /// The node of `level` whose first leaf is `leaf`, if there is one.
    func node(startingAt leaf: Int, level: Int) -> Range<Int>? {
        let nodes = levels[level]
        var lo = 0, hi = nodes.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if nodes[mid].lowerBound < leaf { lo = mid + 1 } else { hi = mid }
        }
        return lo < nodes.count && nodes[lo].lowerBound == leaf ? nodes[lo] : nil
    }

    /// Every distinct node that starts at `leaf`, shortest first.
    func nodes(startingAt leaf: Int) -> [Range<Int>] {
        var found: [Range<Int>] = []
        for level in levels.indices {
            if let n = node(startingAt: leaf, level: level), found.last != n { found.append(n) }
        }
        return found
    }

    func isNode(_ leaves: Range<Int>) -> Bool {
        guard leaves.lowerBound >= 0 else { return false }
        return nodes(startingAt: leaves.lowerBound).contains(leaves)
    }

    /// The bytes of a leaf run: whole mebibytes, except that nothing lies past the end (so an
    /// empty run after a short last leaf is the empty range at the end).
    func bytes(_ leaves: Range<Int>) -> Range<Int64> {
        let lower = Int64(leaves.lowerBound) * Self.mib
        let upper = Int64(leaves.upperBound) * Self.mib
        return (lower > size ? size : lower) ..< (upper > size ? size : upper)
    }

    /// The leaves holding at least one byte of `bytes` (non-empty, inside the output): binary
    /// searches over the enumerated leaves for the first that ends after the start and the last
    /// that begins before the end.
    func leavesHolding(_ bytes: Range<Int64>) -> Range<Int> {
        let leaves = levels[0]
        var lo = 0, hi = leaves.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if self.bytes(leaves[mid]).upperBound <= bytes.lowerBound { lo = mid + 1 } else { hi = mid }
        }
        let first = lo
        lo = 0
        hi = leaves.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if self.bytes(leaves[mid]).lowerBound < bytes.upperBound { lo = mid + 1 } else { hi = mid }
        }
        return first ..< lo
    }

    /// Whether some node spans exactly `bytes`.
    func isAligned(_ bytes: Range<Int64>) -> Bool {
        guard !bytes.isEmpty, bytes.lowerBound >= 0, bytes.lowerBound % Self.mib == 0 else { return false }
        let first = Int(bytes.lowerBound / Self.mib)
        return nodes(startingAt: first).contains { self.bytes($0) == bytes }
    }

    func randomNode(_ r: inout FuzzRandom) -> Range<Int>? {
        guard leafCount > 0 else { return nil }
        let level = levels[r.int(0 ..< levels.count)]
        return level[r.int(0 ..< level.count)]
    }

    /// The fewest nodes of at most `cap` leaves that tile `run`, by dynamic programming over every
    /// node that starts inside the run (exhaustive, so only for short runs).
    func fewestPieces(_ run: Range<Int>, cap: Int) -> Int {
        var best = [Int](repeating: .max, count: run.count + 1)
        best[run.count] = 0
        for p in stride(from: run.upperBound - 1, through: run.lowerBound, by: -1) {
            for n in nodes(startingAt: p) where n.upperBound <= run.upperBound && n.count <= cap {
                let rest = best[n.upperBound - run.lowerBound]
                if rest != .max { best[p - run.lowerBound] = min(best[p - run.lowerBound], rest + 1) }
            }
        }
        return best[0]
    }

    /// The tiling by maximal nodes: at each leaf, the longest node that fits. Nodes nest (they form
    /// a tree), so this is the unique tiling with the fewest pieces.
    func maximalPieces(_ run: Range<Int>, cap: Int) -> [Range<Int>] {
        var pieces: [Range<Int>] = []
        var p = run.lowerBound
        while p < run.upperBound {
            guard let n = nodes(startingAt: p).last(where: { $0.upperBound <= run.upperBound && $0.count <= cap })
            else {
                return pieces  // unreachable: every leaf is a node
            }
            pieces.append(n)
            p = n.upperBound
        }
        return pieces
    }

    /// A tree hash by recursion: the left child covers the largest power of two of leaves below
    /// the count, the right one the rest. Equal to the level-by-level build with promotion.
    static func root(_ digests: ArraySlice<[UInt8]>) -> [UInt8] {
        if digests.count == 1 { return digests[digests.startIndex] }
        var split = 1
        while split * 2 < digests.count { split *= 2 }
        let left = root(digests.prefix(split))
        let right = root(digests.dropFirst(split))
        return ReferenceSHA256.hash(left + right)
    }

    static func treeHash(_ bytes: [UInt8]) -> [UInt8] {
        let leaf = Int(mib)
        var digests: [[UInt8]] = []
        var offset = 0
        repeat {
            digests.append(ReferenceSHA256.hash(bytes[offset ..< min(offset + leaf, bytes.count)]))
            offset += leaf
        } while offset < bytes.count
        return root(digests[...])
    }
}

/// Output sizes that stress the arithmetic: empty, tiny, exact mebibytes, one byte either side,
/// powers of two, and tens of gibibytes.
enum SizeGenerator {
    static let mib = ReferenceTree.mib

    static func size(_ r: inout FuzzRandom, maxMiB: Int64 = 64 << 10) -> Int64 {
        let s: Int64
        switch r.int(0 ..< 9) {
        case 0: s = r.int64(0 ... 4096)
        case 1: s = r.int64(0 ... 300) * mib
        case 2: s = r.int64(1 ... 300) * mib + (r.bool() ? 1 : -1)
        case 3: s = r.int64(0 ... 64 * mib)
        case 4: s = r.int64(0 ... 4096 * mib)
        case 5: s = r.int64(0 ... maxMiB * mib)
        case 6: s = (mib << Int64(r.int(0 ... 16))) + Int64(r.int(-1 ... 1))
        case 7: s = r.int64(0 ... maxMiB) * mib + r.int64(0 ... mib)
        default: s = Int64(r.int(0 ... 3))
        }
        return max(0, min(s, maxMiB * mib))
    }
}
