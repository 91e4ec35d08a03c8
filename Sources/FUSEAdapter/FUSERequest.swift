import CFuse3
import Foundation
import GlacierFileSystem

/// A pending FUSE request. libfuse allows the reply from any thread, exactly once.
struct FUSERequest: @unchecked Sendable {  // Wraps fuse_req_t; each request is replied to once.
    let raw: fuse_req_t

    func fail(_ errno: Int32) { fuse_reply_err(raw, errno) }

    func replyEntry(_ a: InodeAttributes) {
        var entry = fuse_entry_param()
        entry.ino = fuse_ino_t(a.inode)
        entry.generation = 1
        entry.attr = FUSEAttributes.stat(a)
        entry.attr_timeout = a.cacheSeconds
        entry.entry_timeout = a.cacheSeconds
        fuse_reply_entry(raw, &entry)
    }

    /// "No such name", remembered by the kernel for `seconds` (saves repeated probes).
    func replyNegativeEntry(seconds: Double) {
        var entry = fuse_entry_param()
        entry.ino = 0
        entry.entry_timeout = seconds
        fuse_reply_entry(raw, &entry)
    }

    func replyAttributes(_ a: InodeAttributes) {
        var st = FUSEAttributes.stat(a)
        fuse_reply_attr(raw, &st, a.cacheSeconds)
    }

    func replyBytes(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { _ = fuse_reply_buf(raw, $0.baseAddress?.assumingMemoryBound(to: CChar.self), $0.count) }
    }

    /// Sends read data straight from the verified buffers, without copying them first.
    func replySegments(_ segments: [ByteSegment]) {
        withExtendedLifetime(segments) {
            var vectors = segments.map {
                iovec(iov_base: UnsafeMutableRawPointer(mutating: $0.baseAddress), iov_len: $0.count)
            }
            if vectors.isEmpty {
                fuse_reply_buf(raw, nil, 0)
            } else {
                fuse_reply_iov(raw, &vectors, Int32(vectors.count))
            }
        }
    }
}

enum FUSEAttributes {
    static func stat(_ a: InodeAttributes) -> Glibc.stat {
        var st = Glibc.stat()
        st.st_ino = ino_t(a.inode)
        st.st_mode = (a.isDirectory ? S_IFDIR : S_IFREG) | mode_t(a.permissions)
        st.st_nlink = nlink_t(a.linkCount)
        st.st_size = off_t(a.size)
        st.st_blksize = 1 << 20
        st.st_blocks = blkcnt_t((a.size + 511) / 512)
        st.st_uid = a.uid
        st.st_gid = a.gid
        let seconds = a.modified.timeIntervalSince1970
        let spec = timespec(
            tv_sec: time_t(seconds.rounded(.down)),
            tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9))
        st.st_mtim = spec
        st.st_ctim =
            a.changed.map { timespec(tv_sec: time_t($0.timeIntervalSince1970.rounded(.down)), tv_nsec: 0) } ?? spec
        st.st_atim = spec
        return st
    }
}
