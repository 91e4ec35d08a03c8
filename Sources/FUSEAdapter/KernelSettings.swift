import CFuse3
import Foundation

/// What the kernel is asked for at FUSE init: outputs are immutable and read in large
/// sequential runs, so large reads, deep readahead, many background requests, READDIRPLUS.
enum KernelSettings {
    static func apply(to conn: UnsafeMutablePointer<fuse_conn_info>, options: FUSEMountOptions) {
        conn.pointee.max_readahead = UInt32(options.readaheadBytes)
        // Must repeat the max_read mount option, or libfuse refuses the session.
        conn.pointee.max_read = UInt32(FUSEMountOptions.maxReadBytes)
        conn.pointee.max_background = UInt32(options.maxBackground)
        conn.pointee.congestion_threshold = UInt32(options.maxBackground * 3 / 4)
        var want = conn.pointee.want
        for capability in [
            FUSE_CAP_ASYNC_READ, FUSE_CAP_READDIRPLUS, FUSE_CAP_PARALLEL_DIROPS, FUSE_CAP_SPLICE_WRITE,
            FUSE_CAP_SPLICE_MOVE,
        ] where conn.pointee.capable & UInt32(capability) != 0 {
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
    /// The device number comes from /proc/self/mountinfo: a stat() of the mountpoint would be a
    /// request to this very filesystem, which is not serving yet.
    static func raiseReadahead(mountpoint: String, bytes: Int) -> Bool {
        guard let device = deviceNumber(of: mountpoint) else { return false }
        guard let handle = FileHandle(forWritingAtPath: "/sys/class/bdi/\(device)/read_ahead_kb") else { return false }
        defer { try? handle.close() }
        return (try? handle.write(contentsOf: Data("\(bytes / 1024)\n".utf8))) != nil
    }

    /// "major:minor" of the mount at `mountpoint`, from the last matching mountinfo line.
    static func deviceNumber(of mountpoint: String) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return nil }
        let escaped = mountpoint.replacingOccurrences(of: "\\", with: "\\134").replacingOccurrences(
            of: " ", with: "\\040")
        var device: String?
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count > 4 && fields[4] == escaped { device = String(fields[2]) }
        }
        return device
    }
}
