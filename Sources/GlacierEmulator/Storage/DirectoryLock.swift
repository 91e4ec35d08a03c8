import Foundation

/// An exclusive `flock` on `DATA/lock`, held while a server runs, so two emulators never share a
/// data directory.
struct DirectoryLock: Sendable {
    private let fd: Int32

    /// Blocking (open + flock); call through `BlockingIO`.
    static func acquire(layout: DataLayout) throws -> DirectoryLock {
        try FileOps.createDirectory(layout.root)
        let path = layout.root + "/lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileOps.Failure(operation: "open", path: path, errno: errno) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw ConfigurationError.invalid("the data directory \(layout.root) is in use by another emulator")
        }
        return DirectoryLock(fd: fd)
    }

    func release() { close(fd) }
}
