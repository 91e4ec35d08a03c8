import Foundation
import GlacierIntegrity

#if canImport(Glibc)
import Glibc
#endif

/// The file operations of the destination, with errno turned into what the user must do.
enum DestinationFiles {
    static func error(_ code: Int32, _ path: String) -> any Error {
        switch code {
        case ENOSPC, EDQUOT: return MigrationError.destinationFull(path: path)
        case EROFS, EACCES, EPERM:
            return MigrationError.destinationNotWritable(path: path, reason: String(cString: strerror(code)))
        default: return POSIXFileError(path: path, code: code)
        }
    }

    static func makeDirectories(_ path: String) throws {
        var st = stat()
        if stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR { return }
        let parent = (path as NSString).deletingLastPathComponent
        if parent != path && !parent.isEmpty { try makeDirectories(parent) }
        if mkdir(path, 0o755) != 0 && errno != EEXIST { throw error(errno, path) }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        try bytes.withUnsafeBytes { try writeAll(fd, $0, path: path) }
    }

    static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, path: String) throws {
        var done = 0
        while done < buffer.count {
            let n = write(fd, buffer.baseAddress! + done, buffer.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw error(errno, path)
            }
            done += n
        }
    }

    static func pwriteAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, at offset: Int64, path: String) throws {
        var done = 0
        while done < buffer.count {
            let n = pwrite(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw error(errno, path)
            }
            done += n
        }
    }

    static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw error(errno, path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw error(errno, path) }
    }

    /// The tree hash of a local file, read in 1 MiB leaves.
    static func treeHash(ofFile path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw error(errno, path) }
        defer { close(fd) }
        let hasher = TreeHashBuilder()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 8 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = read(fd, buffer.baseAddress!, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw error(errno, path)
            }
            if n == 0 { break }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0 ..< n]))
        }
        return hasher.finalize().hex
    }

    /// Checks that `directory` can hold the migration: creates it and `.glacierfs` in it, and
    /// writes a probe file, so a read-only or foreign directory is refused before anything is paid.
    static func prepare(_ directory: String) throws {
        try makeDirectories(directory + "/.glacierfs")
        let probe = directory + "/.glacierfs/.write-probe"
        let fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw error(errno, directory) }
        let ok = write(fd, "x", 1) == 1
        let code = errno
        close(fd)
        unlink(probe)
        guard ok else { throw error(code, directory) }
    }
}

/// A file operation that failed for a reason without special advice.
struct POSIXFileError: Error, CustomStringConvertible {
    let path: String
    let code: Int32
    var description: String { "\(path): \(String(cString: strerror(code)))" }
}
