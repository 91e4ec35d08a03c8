extension OutputReader {
    /// Reads `size` bytes at `offset`, calling `completion` once: at once when every leaf is at
    /// hand, or when the last one arrives. Bytes come only from verified leaves.
    func read(offset: Int64, size: Int, isRandom: Bool, completion: @escaping @Sendable (ReadOutcome) -> Void) {
        // The one refusal rule, before any path that could hand out bytes.
        if let failure = refusal() { return completion(.failure(failure)) }
        let end = min(offset + Int64(size), shape.size)
        guard offset < end else { return completion(.data([])) }
        let leaves = geometry.leaves(covering: offset ..< end)
        let leafStart = Int64(leaves.lowerBound) * Int64(leafSize)

        // A small random read of a cached leaf is checked by its blocks, not the whole leaf.
        let isSmallRandom = isRandom && leaves.count == 1 && end - offset < Int64(leafSize / 4)
        if isSmallRandom, !awaitsInventoryValidation, !services.memory.contains(output: id, leaf: leaves.lowerBound),
            let segment = readBlocksFromStore(
                leaf: leaves.lowerBound,
                range: Int(offset - leafStart) ..< Int(end - leafStart))
        {
            services.statistics.bytesServed.add(segment.count, ordering: .relaxed)
            return completion(.data([segment]))
        }

        let assembly = ReadAssembly(leaves: leaves, completion: completion)
        for leaf in leaves {
            requestLeaf(leaf) { [services, leafSize, self] result in
                switch result {
                case .failure(let failure):
                    assembly.fail(failure)
                case .success(let view):
                    let base = Int64(leaf) * Int64(leafSize)
                    let from = Int(max(offset, base) - base)
                    let to = Int(min(end, base + Int64(view.length)) - base)
                    services.statistics.bytesServed.add(to - from, ordering: .relaxed)
                    if !isRandom && to == view.length { services.memory.demote(output: id, leaf: leaf) }
                    assembly.deliver(leaf, ByteSegment(view: view, range: from ..< to))
                }
            }
        }
    }
}
