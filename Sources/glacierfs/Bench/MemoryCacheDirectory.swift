import Foundation
import OutputCache

/// A cache in memory (tmpfs, /dev/shm) for the bench's "in memory" rows: the same reads with the
/// cache disk costing nothing, beside the reads through it, show how much of a miss is the disk's.
/// The directory is private (0700) and the cache goes inside it, so the bench can delete and
/// recreate the cache without the name being free meanwhile. Named after the bench's pid: a run
/// killed before its cleanup leaves a directory the next run recognises and removes.
enum MemoryCacheDirectory {
    static let parent = "/dev/shm"
    static let prefix = "glacierfs-bench-cache-"

    /// A new directory with room for `bytes` of cache beside the free space a mount leaves by
    /// default, or the reason there is none.
    static func make(room bytes: Int64) -> Result<String, UserFacingError> {
        removeStale()
        var fs = statvfs()
        guard statvfs(parent, &fs) == 0 else {
            return .failure(UserFacingError("\(parent) is not there: \(String(cString: strerror(errno)))"))
        }
        let free = Int64(fs.f_bavail) * Int64(fs.f_frsize)
        let needed = bytes + OutputCache.defaultFreeSpaceFloor(parent) + (64 << 20)
        guard free >= needed else {
            return .failure(
                UserFacingError("\(parent) has \(ByteSize.format(free)) free; \(ByteSize.format(needed)) are needed"))
        }
        let path = "\(parent)/\(prefix)\(getpid())"
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        } catch {
            return .failure(UserFacingError("cannot create \(path): \(error.localizedDescription)"))
        }
        return .success(path)
    }

    /// The cache's own directory inside one made by `make`.
    static func cache(in directory: String) -> String { directory + "/cache" }

    /// Removes the directory made by `make` that holds `cache`.
    static func remove(holding cache: String) {
        let directory = (cache as NSString).deletingLastPathComponent
        guard (directory as NSString).lastPathComponent.hasPrefix(prefix) else { return }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Directories of runs whose process is gone.
    private static func removeStale() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
        for name in names where name.hasPrefix(prefix) {
            guard let pid = Int32(name.dropFirst(prefix.count)), pid > 0, kill(pid, 0) != 0, errno == ESRCH else {
                continue
            }
            try? FileManager.default.removeItem(atPath: "\(parent)/\(name)")
        }
    }
}
