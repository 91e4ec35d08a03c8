import CPlatformSupport
import Foundation

/// Small POSIX helpers with errno turned into thrown errors.
enum FileIO {
    struct Failure: Error, CustomStringConvertible {
        let operation: String
        let path: String
        let code: Int32
        var isNoSpace: Bool { code == ENOSPC || code == EDQUOT }
        var description: String { "\(operation) \(path): \(String(cString: strerror(code)))" }
    }

    static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o600) throws -> Int32 {
        let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
        guard fd >= 0 else { throw Failure(operation: "open", path: path, code: errno) }
        return fd
    }

    /// Writes all of `bytes` at `offset`, retrying short writes.
    static func pwriteAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: off_t, path: String) throws {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, offset + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(operation: "write", path: path, code: errno)
            }
            done += n
        }
    }

    /// Writes `pieces` one after another from `offset` with pwritev, retrying short writes.
    static func pwritevAll(_ fd: Int32, _ pieces: [UnsafeRawBufferPointer], at offset: off_t, path: String) throws {
        var vectors = pieces.map {
            iovec(iov_base: UnsafeMutableRawPointer(mutating: $0.baseAddress), iov_len: $0.count)
        }
        var position = offset
        var next = 0
        while next < vectors.count {
            let batch = min(vectors.count - next, 1024)  // Linux's IOV_MAX
            let n = vectors[next ..< next + batch].withUnsafeBufferPointer {
                pwritev(fd, $0.baseAddress, Int32(batch), position)
            }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { throw Failure(operation: "write", path: path, code: n < 0 ? errno : EIO) }
            position += off_t(n)
            var written = n
            while next < vectors.count && written >= vectors[next].iov_len {
                written -= vectors[next].iov_len
                next += 1
            }
            if written > 0 {
                vectors[next].iov_base += written
                vectors[next].iov_len -= written
            }
        }
    }

    /// Reads exactly `buffer.count` bytes at `offset`; false on a short read (a hole past EOF, a
    /// truncated file).
    static func preadAll(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, at offset: off_t) -> Bool {
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, offset + off_t(done))
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            done += n
        }
        return true
    }

    /// Reads into `buffer` until at least `minimum` bytes arrived (O_DIRECT reads of a file's
    /// last block come back short).
    static func preadAtLeast(
        _ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, _ minimum: Int, at offset: off_t
    ) -> Bool {
        var done = 0
        while done < minimum {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, offset + off_t(done))
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            done += n
        }
        return true
    }

    /// Writes a file atomically: a temp file in the same directory, fsync, rename, fsync the
    /// directory. Readers see the old file or the new one, never a mix.
    static func writeAtomically(_ data: Data, to path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        let tmp = "\(dir)/.tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = try open(tmp, O_WRONLY | O_CREAT | O_EXCL, mode: 0o600)
        do {
            try data.withUnsafeBytes { try pwriteAll(fd, $0, at: 0, path: tmp) }
            guard fsync(fd) == 0 else { throw Failure(operation: "fsync", path: tmp, code: errno) }
            close(fd)
        } catch {
            close(fd)
            unlink(tmp)
            throw error
        }
        guard rename(tmp, path) == 0 else {
            let code = errno
            unlink(tmp)
            throw Failure(operation: "rename", path: path, code: code)
        }
        let dfd = Glibc.open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            fsync(dfd)
            close(dfd)
        }
    }

    static func isTemporaryName(_ name: String) -> Bool { name.hasPrefix(".tmp-") }

    /// Frees the disk blocks of a range while keeping the file's size (a hole reads as zeros).
    static func punchHole(_ fd: Int32, offset: off_t, length: off_t) {
        _ = glfs_punch_hole(fd, offset, length)
    }
}
