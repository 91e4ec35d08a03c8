import Foundation

/// How the filesystem presents and fetches job output.
public struct FileSystemConfiguration: Sendable {
    /// Only these vaults, or every vault ListVaults returns when empty.
    public var vaults: [String] = []
    /// Owner of every file and directory.
    public var uid: UInt32 = getuid()
    public var gid: UInt32 = getgid()
    /// Serve archive outputs whose retrieval range is not tree-hash aligned (the service sends
    /// no checksum for them), with size checks only. Off by default: they are refused with EIO.
    public var allowUnverified = false
    /// How long a vault or job listing is used before it is fetched again.
    public var listingTTLSeconds: Double = 60
    /// Memory for data in flight and recently verified leaves.
    public var memoryBudgetBytes: Int = 200 << 20
    /// Parallel GetJobOutput requests across all outputs.
    public var maxParallelFetches: Int = 16
    /// The farthest a sequential reader is prefetched ahead. Memory bounds it first, except
    /// on a slow link, where nodes are streamed to the disk cache.
    public var maxPrefetchBytes: Int = 512 << 20
    /// The largest single request (a tree node, so a power of two MiB).
    public var maxRequestBytes: Int = 16 << 20
    /// Attempts per GetJobOutput, including the first.
    public var fetchAttempts: Int = 10

    public init() {}
}
