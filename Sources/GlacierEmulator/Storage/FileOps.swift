import Foundation
import NIOCore

/// Blocking POSIX file operations. Call them only through `BlockingIO`.
enum FileOps {
    struct Failure: Error, CustomStringConvertible {
        let operation: String
        let path: String
        let errno: Int32

        var description: String { "\(operation) \(path): \(String(cString: strerror(errno)))" }
    }

    /// Writes `bytes` to `path` so that readers see the old file or the whole new one, never a part:
    /// a temp file in `tmpDir`, fsync, rename, then fsync of the directory.
    static func writeAtomically(_ bytes: [UInt8], to path: String, tmpDir: String) throws {
        let (fd, tmpPath) = try makeTempFile(in: tmpDir)
        do {
            try bytes.withUnsafeBytes { try writeAll(fd: fd, bytes: $0, offset: 0, path: tmpPath) }
            try fsyncOrThrow(fd, tmpPath)
            close(fd)
            try moveDurably(tmpPath, to: path)
        } catch {
            close(fd)
            unlink(tmpPath)
            throw error
        }
    }

    /// Creates an empty, uniquely named file in `dir`, open for writing.
    static func makeTempFile(in dir: String) throws -> (fd: Int32, path: String) {
        var template = Array("\(dir)/tmp-XXXXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw Failure(operation: "mkstemp", path: dir, errno: errno) }
        let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return (fd, path)
    }

    static func writeAll(fd: Int32, bytes: UnsafeRawBufferPointer, offset: Int64, path: String) throws {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(operation: "write", path: path, errno: errno)
            }
            done += n
        }
    }

    static func readAll(fd: Int32, into buffer: inout ByteBuffer, count: Int, offset: Int64, path: String) throws {
        var done = 0
        try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { raw in
            while done < count {
                let n = pread(fd, raw.baseAddress! + done, count - done, off_t(offset) + off_t(done))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw Failure(operation: "read", path: path, errno: errno)
                }
                if n == 0 { throw Failure(operation: "read (unexpected end of file)", path: path, errno: EIO) }
                done += n
            }
            return count
        }
    }

    static func readFile(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(operation: "open", path: path, errno: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw Failure(operation: "stat", path: path, errno: errno) }
        var out = [UInt8](repeating: 0, count: Int(st.st_size))
        var done = 0
        try out.withUnsafeMutableBytes { raw in
            while done < raw.count {
                let n = read(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw Failure(operation: "read", path: path, errno: n == 0 ? EIO : errno) }
                done += n
            }
        }
        return out
    }

    static func fsyncOrThrow(_ fd: Int32, _ path: String) throws {
        guard fsync(fd) == 0 else { throw Failure(operation: "fsync", path: path, errno: errno) }
    }

    /// Publishes stored data in the one order a crash cannot corrupt: the data, then its leaf
    /// digests, then its metadata, whose presence is what makes it exist on the next start.
    static func publish(
        data: String, to dataPath: String, leaves: [UInt8], to leavesPath: String,
        meta: [UInt8], to metaPath: String, tmpDir: String
    ) throws {
        try moveDurably(data, to: dataPath)
        try writeAtomically(leaves, to: leavesPath, tmpDir: tmpDir)
        try writeAtomically(meta, to: metaPath, tmpDir: tmpDir)
    }

    /// Renames and makes the rename durable by syncing the destination's directory.
    static func moveDurably(_ from: String, to: String) throws {
        guard rename(from, to) == 0 else { throw Failure(operation: "rename", path: to, errno: errno) }
        syncDirectory(of: to)
    }

    static func syncDirectory(of path: String) {
        let dir = (path as NSString).deletingLastPathComponent
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    static func createDirectory(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Removes a file or a whole tree; a missing path is not an error.
    static func removeTree(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func list(_ dir: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
    }

    static func openForReading(_ path: String) throws -> Int32 {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(operation: "open", path: path, errno: errno) }
        return fd
    }

    /// Copies all `count` bytes of `source` into `destination` at `destinationOffset`, in the kernel
    /// (sendfile) where it can.
    static func copy(
        from source: Int32, to destination: Int32, count: Int64, destinationOffset: Int64,
        path: String
    ) throws {
        guard lseek(destination, off_t(destinationOffset), SEEK_SET) >= 0 else {
            throw Failure(operation: "seek", path: path, errno: errno)
        }
        var inOffset = off_t(0)
        while Int64(inOffset) < count {
            let n = sendfile(destination, source, &inOffset, Int(min(count - Int64(inOffset), 1 << 30)))
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EINVAL || errno == ENOSYS {
                    try copyByReading(
                        from: source, inOffset: Int64(inOffset), to: destination,
                        outOffset: destinationOffset + Int64(inOffset), count: count - Int64(inOffset),
                        path: path)
                    return
                }
                throw Failure(operation: "sendfile", path: path, errno: errno)
            }
            if n == 0 { throw Failure(operation: "copy (source ended early)", path: path, errno: EIO) }
        }
    }

    private static func copyByReading(
        from source: Int32, inOffset: Int64, to destination: Int32, outOffset: Int64,
        count: Int64, path: String
    ) throws {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var done: Int64 = 0
        while done < count {
            let want = Int(min(Int64(buffer.count), count - done))
            let n = buffer.withUnsafeMutableBytes { pread(source, $0.baseAddress!, want, off_t(inOffset + done)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Failure(operation: "read", path: path, errno: n == 0 ? EIO : errno) }
            try buffer.withUnsafeBytes {
                try writeAll(
                    fd: destination, bytes: UnsafeRawBufferPointer(rebasing: $0[..<n]),
                    offset: outOffset + done, path: path)
            }
            done += Int64(n)
        }
    }
}
