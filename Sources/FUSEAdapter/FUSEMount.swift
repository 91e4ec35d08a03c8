import CFuse3
import Foundation
import GlacierFileSystem
import Logging

/// Why mounting failed.
public enum FUSEMountError: Error, Sendable, CustomStringConvertible {
    case invalidOptions(String)
    case mountFailed(String)

    public var description: String {
        switch self {
        case .invalidOptions(let options): "libfuse rejected the mount options (\(options)); its reason is in the log"
        case .mountFailed(let mountpoint): "could not mount at \(mountpoint); libfuse's reason is in the log"
        }
    }
}

/// One mounted filesystem: a libfuse low-level session serving a GlacierFileSystem.
public final class FUSEMount {
    private let session: OpaquePointer
    private let bridge: Unmanaged<FUSEBridge>
    public let options: FUSEMountOptions
    private let logger: Logger
    private var mounted = false

    /// Creates the session and mounts it. The filesystem is served once `run()` is called.
    public init(
        filesystem: GlacierFileSystem, options: FUSEMountOptions,
        logger: Logger = Logger(label: "glacierfs.fuse")
    ) throws(FUSEMountError) {
        self.options = options
        self.logger = logger
        bridge = Unmanaged.passRetained(FUSEBridge(filesystem: filesystem, options: options))
        var arguments = ["glacierfs", "-o", options.optionString]
        if options.debug { arguments.append("-d") }
        var cStrings = arguments.map { strdup($0) }
        defer { cStrings.forEach { free($0) } }
        var args = glfs_fuse_args_init(Int32(cStrings.count), &cStrings)
        defer { fuse_opt_free_args(&args) }
        var operations = LowLevelOperations.table()
        guard
            let session = fuse_session_new(
                &args, &operations, MemoryLayout<fuse_lowlevel_ops>.size,
                bridge.toOpaque())
        else {
            bridge.release()
            throw .invalidOptions(options.optionString)
        }
        self.session = session
        guard fuse_session_mount(session, options.mountpoint) == 0 else {
            fuse_session_destroy(session)
            bridge.release()
            throw .mountFailed(options.mountpoint)
        }
        mounted = true
        if KernelSettings.raiseReadahead(mountpoint: options.mountpoint, bytes: options.readaheadBytes) {
            logger.debug("raised the mount's readahead", metadata: ["bytes": "\(options.readaheadBytes)"])
        }
    }

    /// Serves requests until the filesystem is unmounted or a SIGINT/SIGTERM/SIGHUP arrives.
    /// Returns libfuse's loop status (0 on a clean exit).
    public func run() -> Int32 {
        fuse_set_signal_handlers(session)
        defer { fuse_remove_signal_handlers(session) }
        guard let config = fuse_loop_cfg_create() else { return -1 }
        defer { fuse_loop_cfg_destroy(config) }
        fuse_loop_cfg_set_max_threads(config, UInt32(options.maxThreads))
        fuse_loop_cfg_set_idle_threads(config, UInt32(max(2, options.maxThreads / 2)))
        return fuse_session_loop_mt(session, config)
    }

    /// Unmounts (if still mounted) and frees the session.
    public func close() {
        if mounted {
            fuse_session_unmount(session)
            mounted = false
        }
        fuse_session_destroy(session)
        bridge.release()
    }
}
