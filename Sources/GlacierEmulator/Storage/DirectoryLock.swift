import Foundation

/// An exclusive `flock` on `DATA/lock`, held while a server runs, so two emulators never share a
/// data directory.
struct DirectoryLock: Sendable {
    private let fd: Int32

    /// How long a lock held by someone else is waited for. A process that forks while it closes
    /// its lock (a restart on the same directory, beside a test spawning a tool) leaves the
    /// lock to the child until the child's exec closes it: a moment, but not none under load.
    static let patienceSeconds = 2.0

    /// Blocking (open + flock, retried for `patienceSeconds`); call through `BlockingIO`.
    static func acquire(layout: DataLayout) throws -> DirectoryLock {
        try FileOps.createDirectory(layout.root)
        let path = layout.root + "/lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileOps.Failure(operation: "open", path: path, errno: errno) }
        let deadline = Date().addingTimeInterval(patienceSeconds)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let failure = errno
            guard failure == EWOULDBLOCK || failure == EINTR else {
                close(fd)
                throw FileOps.Failure(operation: "flock", path: path, errno: failure)
            }
            guard Date() < deadline else {
                close(fd)
                throw ConfigurationError.invalid(
                    "the data directory \(layout.root) is in use by another emulator; stop it, or give this one "
                        + "another --data-dir")
            }
            usleep(20_000)
        }
        return DirectoryLock(fd: fd)
    }

    func release() { close(fd) }
}
