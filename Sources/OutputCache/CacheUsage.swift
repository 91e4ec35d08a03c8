/// A summary of what the cache holds.
public struct CacheUsage: Sendable, Codable {
    public var directory: String
    public var usedBytes: Int64
    public var maxBytes: Int64
    public var freeDiskBytes: Int64
    public var outputs: [OutputUsage]
    public var corruptLeavesDropped: Int
    public var writeFailures: Int
    public var evictions: Int
}

public struct OutputUsage: Sendable, Codable {
    public var key: OutputKey
    public var size: Int64
    public var kind: OutputDescriptor.Kind
    public var cachedLeaves: Int
    public var leafCount: Int
    public var cachedBytes: Int64
    public var wholeOutputCheck: WholeOutputCheck?
    public var lastAccess: Double

    /// `none`, `N of M leaves`, `complete (root matched)` and so on, as the xattr shows it.
    public var verificationSummary: String {
        if let check = wholeOutputCheck {
            return check.result == .matched
                ? "complete (root matched)"
                : "root mismatch: the leaves' root \(check.computedRoot.prefix(16))… is not the job's SHA256TreeHash; "
                    + "the cached data was dropped and the output is refused (start a new retrieval job)"
        }
        switch kind {
        case .unverified:
            return "unverified (--allow-unverified; Glacier sends no checksum for this range): "
                + "\(cachedLeaves) of \(leafCount) leaves, size-checked only"
        case .inventory:
            // Glacier sends no checksum for inventories; they are downloaded whole and parsed.
            if cachedLeaves == 0 { return "none" }
            return cachedLeaves == leafCount
                ? "complete (inventory: size checked and every entry parsed)"
                : "\(cachedLeaves) of \(leafCount) leaves (inventory, incomplete)"
        case .archive:
            return cachedLeaves == 0 ? "none" : "\(cachedLeaves) of \(leafCount) leaves"
        }
    }
}

extension CachedOutput {
    public var usage: OutputUsage {
        let d = descriptor
        return OutputUsage(
            key: d.key, size: d.size, kind: d.kind, cachedLeaves: cachedLeafCount,
            leafCount: geometry.leafCount, cachedBytes: cachedBytes,
            wholeOutputCheck: d.wholeOutputCheck, lastAccess: d.lastAccess.timeIntervalSince1970)
    }
}
