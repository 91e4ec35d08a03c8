import Foundation
import GlacierIntegrity

extension OutputCache {
    /// Checks that the cache directory can be created and is not held by another process,
    /// without keeping the lock.
    public static func probeLock(directory: String) throws(CacheError) -> Bool {
        try prepareDirectory(directory)
        let fd = try takeLock(directory)
        close(fd)
        return true
    }

    /// The data file of a cached output (for tools that measure the disk under the cache).
    public static func dataFile(directory: String, key: OutputKey) -> String {
        "\(directory)/outputs/\(key.directoryName)/data"
    }

    /// A read-only summary of a cache directory; safe while a mount is using it.
    public static func inspect(directory: String) -> CacheUsage {
        let outputsDirectory = directory + "/outputs"
        var outputs: [OutputUsage] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: outputsDirectory)) ?? [] {
            guard let (descriptor, slots) = readEntry(outputsDirectory + "/" + name) else { continue }
            let held = slots.compactMap { slot -> LeafRecord? in
                if case .cached(let record)? = slot { return record }
                return nil
            }
            outputs.append(
                OutputUsage(
                    key: descriptor.key, size: descriptor.size, kind: descriptor.kind,
                    cachedLeaves: held.count, leafCount: TreeGeometry(size: descriptor.size).leafCount,
                    cachedBytes: held.reduce(0) { $0 + Int64($1.length) },
                    wholeOutputCheck: descriptor.wholeOutputCheck,
                    lastAccess: descriptor.lastAccess.timeIntervalSince1970))
        }
        var st = statvfs()
        let free = statvfs(directory, &st) == 0 ? Int64(st.f_bavail) * Int64(st.f_frsize) : 0
        return CacheUsage(
            directory: directory, usedBytes: outputs.reduce(0) { $0 + $1.cachedBytes }, maxBytes: 0,
            freeDiskBytes: free, outputs: outputs, corruptLeavesDropped: 0, writeFailures: 0, evictions: 0)
    }
}
