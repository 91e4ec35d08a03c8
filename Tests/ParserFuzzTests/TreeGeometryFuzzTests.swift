import Testing

@testable import GlacierIntegrity

/// TreeGeometry against the enumerated tree of `ReferenceTree` (design.md §2: a range is
/// tree-hash aligned when it is exactly one node of the tree over the whole output).
@Suite struct TreeGeometryFuzzTests {
    static let mib = ReferenceTree.mib

    /// A leaf run that is often a node, often one leaf off a node, and sometimes anything at all.
    static func leafRun(_ r: inout FuzzRandom, _ tree: ReferenceTree, allowOutside: Bool) -> Range<Int> {
        let n = tree.leafCount
        switch r.int(0 ..< (allowOutside ? 6 : 5)) {
        case 0, 1:
            if let node = tree.randomNode(&r) { return node }
            return 0 ..< 0
        case 2:
            guard let node = tree.randomNode(&r) else { return 0 ..< 0 }
            let lower = max(0, node.lowerBound + r.int(-1 ... 1))
            let upper = min(n, max(lower, node.upperBound + r.int(-1 ... 1)))
            return lower ..< upper
        case 3:
            let a = r.int(0 ... n), b = r.int(0 ... n)
            return min(a, b) ..< max(a, b)
        case 4:
            let a = r.int(0 ... n)
            return a ..< a
        default:
            let a = r.int(-3 ... n + 3), b = r.int(-3 ... n + 3)
            return min(a, b) ..< max(a, b)
        }
    }

    /// A byte range that is often a node's bytes, often a node's bytes nudged, and sometimes
    /// anything inside or around the output.
    static func byteRange(_ r: inout FuzzRandom, _ tree: ReferenceTree) -> Range<Int64> {
        let size = tree.size
        let nudges: [Int64] = [-mib, -1, 0, 0, 0, 1, mib]
        switch r.int(0 ..< 5) {
        case 0, 1:
            guard let node = tree.randomNode(&r) else { return 0 ..< 0 }
            let b = tree.bytes(node)
            let lower = b.lowerBound + r.pick(nudges)
            let upper = r.oneIn(8) ? size : b.upperBound + r.pick(nudges)
            return min(lower, upper) ..< max(lower, upper)
        case 2:
            let lower = r.int64(0 ... max(0, size / mib)) * mib
            let upper = r.bool() ? size : lower + (mib << Int64(r.int(0 ... 12)))
            return min(lower, upper) ..< max(lower, upper)
        case 3:
            let a = r.int64(0 ... size), b = r.int64(0 ... size)
            return min(a, b) ..< max(a, b)
        default:
            let a = r.int64(-mib ... size + mib), b = r.int64(-mib ... size + mib)
            return min(a, b) ..< max(a, b)
        }
    }

    @Test func isNodeMatchesEnumeratedTree() {
        fuzz("TreeGeometry.isNode", iterations: FuzzConfig.iterations(cost: 4)) { r, run in
            let size = SizeGenerator.size(&r)
            let tree = ReferenceTree(size: size)
            let geometry = TreeGeometry(size: size)
            run.expect(
                geometry.leafCount == tree.leafCount,
                "size \(size): leafCount \(geometry.leafCount), reference \(tree.leafCount)")
            for _ in 0 ..< 40 {
                let leaves = Self.leafRun(&r, tree, allowOutside: true)
                let got = geometry.isNode(leaves)
                if !got { run.reject() }
                run.expect(got == tree.isNode(leaves), "size \(size) leaves \(leaves): isNode \(got)")
            }
            run.executions += 39
        }
    }

    @Test func isTreeHashAlignedMatchesNodeBytes() {
        fuzz("TreeGeometry.isTreeHashAligned", iterations: FuzzConfig.iterations(cost: 4)) { r, run in
            let size = SizeGenerator.size(&r)
            let tree = ReferenceTree(size: size)
            let geometry = TreeGeometry(size: size)
            for _ in 0 ..< 40 {
                let bytes = Self.byteRange(&r, tree)
                let got = geometry.isTreeHashAligned(bytes)
                if !got { run.reject() }
                run.expect(got == tree.isAligned(bytes), "size \(size) bytes \(bytes): aligned \(got)")
            }
            run.executions += 39
        }
    }

    @Test func bytesAndLeavesAgreeWithLeafLayout() {
        fuzz("TreeGeometry.bytes/leaves", iterations: FuzzConfig.iterations(cost: 4)) { r, run in
            let size = SizeGenerator.size(&r)
            let tree = ReferenceTree(size: size)
            let geometry = TreeGeometry(size: size)
            for _ in 0 ..< 20 {
                let leaves = Self.leafRun(&r, tree, allowOutside: false)
                let got = geometry.bytes(ofLeaves: leaves)
                run.expect(
                    got == tree.bytes(leaves),
                    "size \(size) leaves \(leaves): bytes \(got), reference \(tree.bytes(leaves))")

                let bytes = Self.byteRange(&r, tree)
                let covering = geometry.leaves(covering: bytes)
                run.expect(
                    covering.lowerBound >= 0 && covering.upperBound <= tree.leafCount,
                    "size \(size) bytes \(bytes): leaves \(covering) outside 0..<\(tree.leafCount)")
                // Clamp to the output; the answer must be exactly the leaves holding a clamped byte.
                let lower = max(0, bytes.lowerBound), upper = min(size, bytes.upperBound)
                if upper <= lower {
                    run.reject()
                    run.expect(covering.isEmpty, "size \(size) bytes \(bytes): no byte inside, yet leaves \(covering)")
                } else {
                    let expected = tree.leavesHolding(lower ..< upper)
                    run.expect(
                        covering == expected, "size \(size) bytes \(bytes): leaves \(covering), reference \(expected)")
                }
            }
            run.executions += 39
        }
    }

    /// `bytes(ofLeaves:)` accepts `leafCount ..< leafCount` (its precondition allows it); after a
    /// short last leaf that run once built a range whose lower bound lay past the end, and trapped.
    /// Run in a child process (an exit test) so a regression fails this test, not the whole run.
    @Test func emptyLeafRunAfterAShortLastLeaf() async {
        await #expect(processExitsWith: .success) {
            let geometry = TreeGeometry(size: 3 << 19)  // 1.5 MiB: two leaves, the last one short
            let bytes = geometry.bytes(ofLeaves: 2 ..< 2)
            precondition(bytes.isEmpty && bytes.upperBound == 3 << 19)
        }
    }

    @Test func nodesCoveringIsTheFewestNodes() {
        fuzz("TreeGeometry.nodesCovering", iterations: FuzzConfig.iterations(cost: 4)) { r, run in
            let size = SizeGenerator.size(&r)
            let tree = ReferenceTree(size: size)
            let geometry = TreeGeometry(size: size)
            for _ in 0 ..< 6 {
                var leaves = Self.leafRun(&r, tree, allowOutside: false)
                if leaves.count > 2048 && r.bool() {  // keep the exhaustive model in reach
                    leaves = leaves.lowerBound ..< leaves.lowerBound + r.int(0 ... 2048)
                }
                let capChoice = r.int(0 ..< 10)
                let maxLeaves = capChoice < 4 ? Int.max : capChoice < 9 ? 1 << r.int(0 ... 17) : r.int(-2 ... 100)
                let isPowerOfTwo = maxLeaves > 0 && maxLeaves & (maxLeaves - 1) == 0
                let pieces =
                    maxLeaves == .max
                    ? geometry.nodes(covering: leaves) : geometry.nodes(covering: leaves, maxLeaves: maxLeaves)
                let what = "size \(size) leaves \(leaves) maxLeaves \(maxLeaves): pieces \(pieces.prefix(20))"

                var next = leaves.lowerBound
                for piece in pieces {
                    run.expect(piece.lowerBound == next && !piece.isEmpty, "\(what): gap or empty piece \(piece)")
                    run.expect(tree.isNode(piece), "\(what): \(piece) is not a node")
                    run.expect(piece.count <= max(1, maxLeaves), "\(what): \(piece) longer than the cap")
                    next = piece.upperBound
                }
                run.expect(next == leaves.upperBound, "\(what): pieces end at \(next)")
                guard isPowerOfTwo || maxLeaves == .max else { continue }  // the cap must be a power of two
                let cap = maxLeaves == .max ? Int.max : maxLeaves
                let maximal = tree.maximalPieces(leaves, cap: cap)
                run.expect(pieces == maximal, "\(what): reference \(maximal.prefix(20))")
                if leaves.count <= 512 {
                    let fewest = tree.fewestPieces(leaves, cap: cap)
                    run.expect(pieces.count == fewest, "\(what): \(pieces.count) pieces, exhaustive minimum \(fewest)")
                }
            }
            run.executions += 5
        }
    }
}
