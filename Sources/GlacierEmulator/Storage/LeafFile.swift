import GlacierIntegrity

/// The `leaves` file format: each 1 MiB leaf's SHA-256, 32 raw bytes apiece, in order.
enum LeafFile {
    static func encode(_ leaves: [SHA256Digest]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(leaves.count * SHA256Digest.byteCount)
        for leaf in leaves { leaf.withBytes { out.append(contentsOf: $0) } }
        return out
    }

    /// Nil when the byte count is not a whole number of digests.
    static func decode(_ bytes: [UInt8]) -> [SHA256Digest]? {
        guard bytes.count % SHA256Digest.byteCount == 0 else { return nil }
        return bytes.withUnsafeBytes { raw in
            stride(from: 0, to: raw.count, by: SHA256Digest.byteCount).map {
                SHA256Digest(copying: UnsafeRawBufferPointer(rebasing: raw[$0 ..< $0 + SHA256Digest.byteCount]))
            }
        }
    }

    /// How many leaves an object of `size` bytes has; an empty object has one empty leaf.
    static func leafCount(size: Int64) -> Int {
        size == 0 ? 1 : TreeGeometry(size: size).leafCount
    }
}
