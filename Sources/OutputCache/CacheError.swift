/// Why the cache directory cannot be used, with what to do about it.
public enum CacheError: Error, Sendable, CustomStringConvertible {
    case inUse(directory: String, pid: Int32?)
    case cannotCreate(path: String, reason: String)
    case notOwned(path: String)

    public var description: String {
        switch self {
        case .inUse(let dir, let pid):
            "the cache directory \(dir) is in use by another glacierfs process\(pid.map { " (pid \($0))" } ?? ""). "
                + "Unmount that filesystem first, or give this one its own --cache-dir."
        case .cannotCreate(let path, let reason):
            "cannot create the cache at \(path): \(reason). Choose another place with --cache-dir."
        case .notOwned(let path):
            "the cache directory \(path) belongs to another user; use a directory of your own with --cache-dir."
        }
    }
}
