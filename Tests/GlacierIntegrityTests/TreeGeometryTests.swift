import GlacierIntegrity
import Testing

@Suite struct TreeGeometryTests {
    let mib: Int64 = 1 << 20

    @Test func designNotesExampleFor6_5MiB() {
        let g = TreeGeometry(size: 6 * mib + mib / 2)
        #expect(g.leafCount == 7)
        #expect(g.isTreeHashAligned(2 * mib ..< 4 * mib))
        #expect(!g.isTreeHashAligned(3 * mib ..< 5 * mib))
        #expect(g.isTreeHashAligned(4 * mib ..< g.size))
        #expect(g.isTreeHashAligned(6 * mib ..< g.size), "the short last leaf")
        #expect(g.isTreeHashAligned(0 ..< g.size), "the whole output is the root")
        #expect(!g.isTreeHashAligned(0 ..< 3 * mib), "three leaves are not a node")
        #expect(!g.isTreeHashAligned(4 * mib ..< 6 * mib + 1), "must end at the end of the output")
        #expect(!g.isTreeHashAligned(1 ..< mib), "must start on a leaf")
        #expect(!g.isTreeHashAligned(0 ..< mib - 1), "must end on a leaf boundary")
    }

    @Test func everySingleLeafIsANode() {
        let g = TreeGeometry(size: 37 * mib + 5)
        for leaf in 0 ..< g.leafCount {
            #expect(g.isTreeHashAligned(g.bytes(ofLeaves: leaf ..< leaf + 1)))
        }
    }

    @Test func nodesCoverRunsExactlyWithValidNodes() {
        for size in [mib, 7 * mib + 3, 64 * mib, 100 * mib + 1] {
            let g = TreeGeometry(size: size)
            for start in stride(from: 0, to: g.leafCount, by: 3) {
                for end in stride(from: start + 1, through: g.leafCount, by: 5) {
                    for cap in [1, 4, 16, .max] {
                        let nodes = g.nodes(covering: start ..< end, maxLeaves: cap)
                        #expect(nodes.first?.lowerBound == start)
                        #expect(nodes.last?.upperBound == end)
                        for (a, b) in zip(nodes, nodes.dropFirst()) { #expect(a.upperBound == b.lowerBound) }
                        for n in nodes {
                            #expect(g.isNode(n), "\(n) in size \(size)")
                            #expect(n.count <= cap)
                        }
                    }
                }
            }
        }
    }

    @Test func nodesPreferLargeAlignedPieces() {
        let g = TreeGeometry(size: 64 * mib)
        #expect(g.nodes(covering: 0 ..< 64, maxLeaves: 16) == [0 ..< 16, 16 ..< 32, 32 ..< 48, 48 ..< 64])
        #expect(g.nodes(covering: 3 ..< 12) == [3 ..< 4, 4 ..< 8, 8 ..< 12])
    }

    @Test func leavesCoveringClampsToOutput() {
        let g = TreeGeometry(size: 3 * mib)
        #expect(g.leaves(covering: 0 ..< 1) == 0 ..< 1)
        #expect(g.leaves(covering: mib - 1 ..< mib + 1) == 0 ..< 2)
        #expect(g.leaves(covering: 2 * mib ..< 100 * mib) == 2 ..< 3)
        #expect(g.leaves(covering: 5 * mib ..< 6 * mib).isEmpty)
    }
}
