/// The Glacier SHA-256 tree hash: SHA-256 of each 1 MiB leaf, then parents of SHA-256(left || right)
/// up to a single root, with the last node of an odd level promoted unchanged.
public enum TreeHash {
    /// Leaves are 1 MiB; only the last one may be shorter.
    public static let leafSize = 1 << 20

    /// The digests of the leaves of `bytes`, whose first byte must sit on a leaf boundary.
    /// Empty input has one empty leaf, as the reference implementation defines it.
    public static func leafDigests(of bytes: UnsafeRawBufferPointer) -> [SHA256Digest] {
        if bytes.isEmpty { return [SHA256.hash(UnsafeRawBufferPointer(start: nil, count: 0))] }
        var digests: [SHA256Digest] = []
        digests.reserveCapacity((bytes.count + leafSize - 1) / leafSize)
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + leafSize, bytes.count)
            digests.append(SHA256.hash(UnsafeRawBufferPointer(rebasing: bytes[offset ..< end])))
            offset = end
        }
        return digests
    }

    /// The root over a run of digests. For a tree node's leaves this is that node's hash; for all
    /// leaves of an output it is the output's tree hash.
    public static func root(of digests: some Collection<SHA256Digest>) -> SHA256Digest {
        precondition(!digests.isEmpty, "a tree hash needs at least one leaf")
        var level = Array(digests)
        while level.count > 1 {
            var next: [SHA256Digest] = []
            next.reserveCapacity((level.count + 1) / 2)
            var i = 0
            while i + 1 < level.count {
                next.append(parent(level[i], level[i + 1]))
                i += 2
            }
            if i < level.count { next.append(level[i]) }
            level = next
        }
        return level[0]
    }

    /// SHA-256 over the two 32-byte child digests.
    public static func parent(_ left: SHA256Digest, _ right: SHA256Digest) -> SHA256Digest {
        var pair = (left.words, right.words)
        return withUnsafeBytes(of: &pair) { SHA256.hash($0) }
    }

    /// The tree hash of a whole buffer.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> SHA256Digest {
        root(of: leafDigests(of: bytes))
    }

    public static func hash(_ bytes: [UInt8]) -> SHA256Digest {
        bytes.withUnsafeBytes { hash($0) }
    }
}

/// Computes a tree hash over data that arrives in pieces of any size.
public final class TreeHashBuilder {
    private let hasher = SHA256Hasher()
    private var bytesInLeaf = 0
    private var total: Int64 = 0
    public private(set) var leafDigests: [SHA256Digest] = []

    public init() {}

    public var byteCount: Int64 { total }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        var rest = bytes
        while !rest.isEmpty {
            let take = min(TreeHash.leafSize - bytesInLeaf, rest.count)
            hasher.update(UnsafeRawBufferPointer(rebasing: rest[..<take]))
            bytesInLeaf += take
            total += Int64(take)
            rest = UnsafeRawBufferPointer(rebasing: rest[take...])
            if bytesInLeaf == TreeHash.leafSize {
                leafDigests.append(hasher.finalize())
                bytesInLeaf = 0
            }
        }
    }

    public func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    /// Closes the last partial leaf and returns the root. The builder must not be updated after.
    public func finalize() -> SHA256Digest {
        if bytesInLeaf > 0 || leafDigests.isEmpty {
            leafDigests.append(hasher.finalize())
            bytesInLeaf = 0
        }
        return TreeHash.root(of: leafDigests)
    }
}
