import FUSEAdapter
import Foundation
import GlacierClient
import GlacierFileSystem
import Logging
import OutputCache

/// The mount itself, in the foreground: open the cache, check the service, mount, serve until
/// unmounted, then flush the cache.
struct MountDaemon {
    let command: MountCommand

    func run() throws {
        RedactingLogHandler.bootstrap(level: command.service.logLevel, sink: try logSink())
        let logger = Logger(label: "glacierfs")
        if let warning = command.optionList.warning { logger.warning("\(warning)") }
        let target = try MountPreflight.checkMountpoint(command.mountpoint)
        try MountPreflight.checkFUSE()
        ResourceLimits.raiseOpenFiles()

        let cache: OutputCache
        do {
            cache = try OutputCache(
                directory: command.cacheDirectory, maxBytes: command.cache.cacheSize.bytes,
                minFreeBytes: command.cacheMinFree?.bytes, logger: Logger(label: "glacierfs.cache"))
        } catch {
            throw UserFacingError(error.description, exitCode: GlacierExit.cache)
        }
        let probe = try ServiceProbe.probe(
            service: command.service, vaults: command.vaults,
            cacheDirectory: command.cacheDirectory, quiet: command.readyFD != nil)
        let client = try command.service.makeClient()
        var configuration = FileSystemConfiguration()
        configuration.vaults = command.vaults
        configuration.uid = command.uid ?? getuid()
        configuration.gid = command.gid ?? getgid()
        configuration.allowUnverified = command.allowUnverified
        configuration.memoryBudgetBytes = Int(command.memoryLimit.bytes)
        configuration.maxParallelFetches = command.parallelFetches
        configuration.listingTTLSeconds = command.listingTTL
        let filesystem = GlacierFileSystem(
            client: client, cache: cache, configuration: configuration,
            logger: Logger(label: "glacierfs.fs"))
        let warm = try runBlocking { await filesystem.warmUp() }
        filesystem.startPeriodicFlush()
        if command.allowUnverified {
            logger.warning(
                "--allow-unverified: outputs of unaligned retrievals are served WITHOUT checksum verification")
        }

        var options = FUSEMountOptions(mountpoint: target)
        options.fsName = "glacierfs:" + (command.vaults.isEmpty ? "all" : command.vaults.joined(separator: "+"))
        options.allowOther = command.allowOther
        options.extraOptions = command.optionList.passThrough
        options.debug = command.debugFUSE
        if filesystem.roundTripIsSlow == true { options.readaheadBytes = FUSEMountOptions.slowLinkReadaheadBytes }
        filesystem.kernelReadahead(bytes: options.readaheadBytes)
        let mount: FUSEMount
        do {
            mount = try FUSEMount(filesystem: filesystem, options: options, logger: Logger(label: "glacierfs.fuse"))
        } catch {
            throw UserFacingError(error.description, exitCode: GlacierExit.mountpoint)
        }
        let mode = probe == .offline || warm.offline ? "OFFLINE, serving cached outputs" : "\(warm.vaults) vault(s)"
        logger.notice(
            "mounted",
            metadata: [
                "mountpoint": "\(target)", "endpoint": "\(client.configuration.endpoint)",
                "mode": "\(mode)", "cache": "\(command.cacheDirectory)",
            ])
        if let fd = command.readyFD { Daemon.report("ready \(mode)", to: fd) }
        SystemdNotify.send("READY=1\nSTATUS=Mounted at \(target) (\(mode))")

        let status = mount.run()
        SystemdNotify.send("STOPPING=1")
        filesystem.shutdown()
        mount.close()
        logger.notice("unmounted", metadata: ["mountpoint": "\(target)", "loop_status": "\(status)"])
    }

    /// stderr, unless the user runs the daemon in the foreground and names a log file. (Started
    /// by `glacierfs mount`, the daemon's stderr already is its log file.)
    private func logSink() throws -> LogSink {
        guard command.readyFD == nil, let path = command.logFile else { return .standardError }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw UserFacingError(
                "cannot open the log file \(path): \(String(cString: strerror(errno))). Choose a writable "
                    + "--log-file, or leave it out to log to stderr.", exitCode: GlacierExit.usage)
        }
        FileHandle.standardError.write(Data("glacierfs: logging to \(path)\n".utf8))
        return LogSink(fd: fd)
    }
}

enum ResourceLimits {
    /// Each cached output holds two open files; lift the soft limit to the hard one.
    static func raiseOpenFiles() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}
