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
            return check.result == .matched ? "complete (root matched)" : "root MISMATCH"
        }
        if cachedLeaves == 0 { return "none" }
        if kind == .inventory {
            // Glacier sends no checksum for inventories; they are size-checked and parsed whole.
            return cachedLeaves == leafCount ? "complete (inventory: size and format checked)" : "\(cachedLeaves) of \(leafCount) leaves"
        }
        return "\(cachedLeaves) of \(leafCount) leaves"
    }
}

extension CachedOutput {
    public var usage: OutputUsage {
        let d = descriptor
        return OutputUsage(key: d.key, size: d.size, kind: d.kind, cachedLeaves: cachedLeafCount,
                           leafCount: geometry.leafCount, cachedBytes: cachedBytes,
                           wholeOutputCheck: d.wholeOutputCheck, lastAccess: d.lastAccess.timeIntervalSince1970)
    }
}
