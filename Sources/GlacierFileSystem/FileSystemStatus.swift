import Foundation
import OutputCache

/// What `glacierfs status` shows: the mount, the transfer counters, and per output how much is
/// cached and verified. Counters are cumulative; rates come from two samples.
public struct FileSystemStatus: Sendable, Codable {
    public var endpoint: String
    public var offline: Bool
    public var pid: Int32
    public var mountedAt: Double
    /// Seconds since boot, for computing rates between two samples.
    public var sampledAt: Double
    public var reads: ReadStatistics.Snapshot
    public var serviceBytesReceived: Int
    public var serviceRetries: Int
    public var memoryBytes: Int
    public var memoryPeakBytes: Int
    public var openHandles: Int
    public var cache: CacheUsage
}

extension GlacierFileSystem {
    public func status() -> FileSystemStatus {
        let client = catalog.client
        return FileSystemStatus(
            endpoint: client.configuration.endpoint, offline: catalog.isOffline, pid: getpid(),
            mountedAt: mountedAt.timeIntervalSince1970, sampledAt: Double(DispatchTime.now().uptimeNanoseconds) / 1e9,
            reads: readers.statistics, serviceBytesReceived: client.statistics.bytesReceived,
            serviceRetries: client.statistics.retryCount, memoryBytes: readers.services.pool.allocatedBytes,
            memoryPeakBytes: readers.services.pool.peakBytes, openHandles: readers.openHandleCount, cache: cache.usage()
        )
    }
}
