import CFuse3
import Foundation

/// What the kernel is asked for at FUSE init: outputs are immutable and read in large
/// sequential runs, so large reads, deep readahead, many background requests, READDIRPLUS.
enum KernelSettings {
    static func apply(to conn: UnsafeMutablePointer<fuse_conn_info>, options: FUSEMountOptions) {
        conn.pointee.max_readahead = UInt32(options.readaheadBytes)
        conn.pointee.max_background = UInt32(options.maxBackground)
        conn.pointee.congestion_threshold = UInt32(options.maxBackground * 3 / 4)
        var want = conn.pointee.want
        for capability in [FUSE_CAP_ASYNC_READ, FUSE_CAP_READDIRPLUS, FUSE_CAP_PARALLEL_DIROPS, FUSE_CAP_SPLICE_WRITE,
                           FUSE_CAP_SPLICE_MOVE] where conn.pointee.capable & UInt32(capability) != 0 {
            want |= UInt32(capability)
        }
        // Listings are small; always send attributes with names.
        want &= ~UInt32(FUSE_CAP_READDIRPLUS_AUTO)
        // Outputs never change: keep their pages however the attributes are refreshed.
        want &= ~UInt32(FUSE_CAP_AUTO_INVAL_DATA)
        conn.pointee.want = want
    }

    /// The kernel caps a FUSE mount's readahead at 128 KiB unless its backing device's
    /// `read_ahead_kb` is raised, which needs root. Best effort: a failure only costs speed.
    static func raiseReadahead(mountpoint: String, bytes: Int) -> Bool {
        var st = stat()
        guard stat(mountpoint, &st) == 0 else { return false }
        let major = (st.st_dev >> 8) & 0xfff
        let minor = (st.st_dev & 0xff) | ((st.st_dev >> 12) & 0xfff00)
        let path = "/sys/class/bdi/\(major):\(minor)/read_ahead_kb"
        guard let handle = FileHandle(forWritingAtPath: path) else { return false }
        defer { try? handle.close() }
        return (try? handle.write(contentsOf: Data("\(bytes / 1024)\n".utf8))) != nil
    }
}
