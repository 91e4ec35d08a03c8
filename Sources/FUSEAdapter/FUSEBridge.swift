import CFuse3
import Foundation
import GlacierFileSystem

/// The object libfuse hands back to every callback (as the session's user data): the
/// filesystem, and the kernel settings chosen at mount.
final class FUSEBridge: Sendable {
    let filesystem: GlacierFileSystem
    let options: FUSEMountOptions
    let sizeAnswers = SizeAnswers()

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

    /// A size of 0 asks how large the value is; a buffer too small for it is ERANGE, unless it
    /// fits the value a size query was just answered from.
    func replyXattr(_ request: FUSERequest, _ key: SizeAnswers.Key, _ value: [UInt8], _ size: Int) {
        switch sizeAnswers.reply(to: key, value: value, size: size) {
        case .size(let n): fuse_reply_xattr(request.raw, n)
        case .bytes(let bytes): request.replyBytes(bytes)
        case .tooSmall: request.fail(ERANGE)
        }
    }
}
