import CFuse3
import Foundation
import GlacierFileSystem

/// The object libfuse hands back to every callback (as the session's user data): the
/// filesystem, and the kernel settings chosen at mount.
final class FUSEBridge: Sendable {
    let filesystem: GlacierFileSystem
    let options: FUSEMountOptions

    init(filesystem: GlacierFileSystem, options: FUSEMountOptions) {
        self.filesystem = filesystem
        self.options = options
    }

    static func from(_ req: fuse_req_t?) -> FUSEBridge {
        Unmanaged<FUSEBridge>.fromOpaque(fuse_req_userdata(req)!).takeUnretainedValue()
    }

    /// Runs `body` off libfuse's worker thread, so a listing that waits on the network holds
    /// no FUSE thread.
    func async(_ body: @escaping @Sendable () async -> Void) {
        Task { await body() }
    }
}
