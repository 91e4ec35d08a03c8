import Foundation

/// A cache directory in memory (tmpfs, /dev/shm) for the diagnostic rows of (g i): the same cold
/// copy with the cache disk costing nothing, side by side with the copy through the disk, shows
/// how much of a miss is the disk's. Named after the bench's pid, so a run killed before its
/// cleanup leaves a directory the next run recognises and removes.
enum MemoryCacheDirectory {
    static let parent = "/dev/shm"
    static let prefix = "glacierfs-bench-cache-"

    /// A new directory with room for `bytes` of cache and a margin, or the reason there is none.
    static func make(room bytes: Int64) -> Result<String, UserFacingError> {
        removeStale()
        var fs = statvfs()
        guard statvfs(parent, &fs) == 0 else {
            return .failure(UserFacingError("\(parent) is not there: \(String(cString: strerror(errno)))"))
        }
        let free = Int64(fs.f_bavail) * Int64(fs.f_frsize)
        let needed = bytes + (256 << 20)
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

    static func remove(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

    /// Directories of runs whose process is gone.
    private static func removeStale() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
        for name in names where name.hasPrefix(prefix) {
            guard let pid = Int32(name.dropFirst(prefix.count)), kill(pid, 0) != 0, errno == ESRCH else { continue }
            remove("\(parent)/\(name)")
        }
    }
}
