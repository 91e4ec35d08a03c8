import ArgumentParser
import FUSEAdapter
import Foundation
import GlacierClient
import GlacierFileSystem
import Logging
import OutputCache

struct MountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mount",
        abstract: "Mount the outputs of your Glacier jobs as read-only files.",
        discussion: """
            The mount shows <vault>/jobs/<job id>/output for every job that has Succeeded, and \
            <vault>/jobs/<job id>/job.json for every job. Every byte is checked against Glacier's \
            SHA-256 tree hash before a program sees it, and kept in a disk cache, so reading it \
            again, remounting, or losing the network costs no download.

            Start retrievals with `glacierfs retrieve` or `glacierfs inventory`; their outputs \
            appear here when the jobs complete.

            Examples:
              glacierfs mount ~/glacier --region eu-west-1
              glacierfs mount /mnt/glacier --vault photos --cache-size 200G
              glacierfs mount ./demo --endpoint http://127.0.0.1:9090 --foreground

            \(GlacierExit.summary)
            """)

    @Argument(help: "An empty directory to mount on.")
    var mountpoint: String

    @OptionGroup var service: ServiceOptions

    @Option(
        name: .customLong("vault"),
        help: ArgumentHelp(
            "Show only this vault (repeat for more). Default: all vaults.",
            valueName: "name"))
    var vaults: [String] = []

    @OptionGroup var cache: CacheOptions

    @Option(
        name: .customLong("cache-min-free"),
        help: ArgumentHelp(
            "Free space to leave on the cache's disk, e.g. 2G (default: 5%, at most 1G).", valueName: "size"))
    var cacheMinFree: ByteSize?

    @Flag(
        name: .shortAndLong,
        help: "Stay in the foreground and log to stderr, or to --log-file (for systemd, containers, debugging).")
    var foreground = false

    @Flag(
        name: .customLong("allow-other"),
        help: "Let other users see the files (needs user_allow_other in /etc/fuse.conf for non-root).")
    var allowOther = false

    @Option(help: "Owner of the files (default: you).")
    var uid: UInt32?

    @Option(help: "Group of the files (default: yours).")
    var gid: UInt32?

    @Flag(
        name: .customLong("allow-unverified"),
        help:
            "Also serve outputs of unaligned ranged retrievals, for which Glacier sends no checksum (size-checked only)."
    )
    var allowUnverified = false

    @Option(
        name: .short,
        help: ArgumentHelp(
            "FUSE mount options, comma separated (e.g. -o allow_other,uid=1000).",
            valueName: "options"))
    var options: [String] = []

    @Option(
        name: .customLong("log-file"),
        help: ArgumentHelp(
            "Where the daemon logs (default: <cache-dir>/glacierfs.log; stderr with --foreground).",
            valueName: "path"))
    var logFile: String?

    @Option(
        name: .customLong("memory-limit"),
        help: ArgumentHelp("Memory for data in flight and recently read, e.g. 256M.", valueName: "size"))
    var memoryLimit = ByteSize(bytes: 200 << 20)

    @Option(name: .customLong("parallel-fetches"), help: "GetJobOutput requests in flight at once (1 to 32).")
    var parallelFetches = 16

    @Option(
        name: .customLong("listing-ttl"), help: "Seconds a vault or job listing is used before it is fetched again.")
    var listingTTL: Double = 60

    @Option(name: .customLong("ready-fd"), help: .hidden)
    var readyFD: Int32?

    @Flag(name: .customLong("debug-fuse"), help: .hidden)
    var debugFUSE = false

    mutating func validate() throws {
        guard memoryLimit.bytes >= 48 << 20 else { throw ValidationError("--memory-limit must be at least 48M") }
        let connections = ServiceOptions.connectionsPerHost
        guard (1 ... connections).contains(parallelFetches) else {
            throw ValidationError(
                "--parallel-fetches must be 1 to \(connections) (glacierfs opens at most \(connections) "
                    + "connections to the endpoint; more fetches would only queue)")
        }
        guard listingTTL >= 0, listingTTL <= 86_400 else {
            throw ValidationError("--listing-ttl must be 0 to 86400 seconds")
        }
        for vault in vaults where !NameCheck.isVaultName(vault) {
            throw ValidationError("'\(vault)' is not a vault name (1-255 of letters, digits, '_', '-' and '.')")
        }
        let list: MountOptionList
        do { list = try MountOptionList(options) } catch { throw ValidationError(error.message) }
        if list.allowOther { allowOther = true }
        if let uid = list.uid { self.uid = uid }
        if let gid = list.gid { self.gid = gid }
        // The daemon logs the warning; this prints it where the user typed the command.
        if let warning = list.warning, !foreground {
            FileHandle.standardError.write(Data("glacierfs: \(warning)\n".utf8))
        }
        if foreground, readyFD == nil, let logFile, !Self.canAppend(to: logFile) {
            throw ValidationError(
                "--log-file \(logFile) cannot be written: choose a writable path, or leave it out to log to stderr")
        }
    }

    /// The `-o` options, sorted out (already checked by `validate`).
    var optionList: MountOptionList { (try? MountOptionList(options)) ?? MountOptionList() }

    static func canAppend(to path: String) -> Bool {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return false }
        close(fd)
        return true
    }

    var cacheDirectory: String { cache.directory }
    var logFilePath: String { logFile ?? cacheDirectory + "/glacierfs.log" }

    func run() throws {
        do {
            if foreground { try MountDaemon(command: self).run() } else { try mountInBackground() }
        } catch let error as UserFacingError {
            // The parent waiting on the readiness pipe reports it too; the top level prints it.
            if let readyFD { Daemon.report("error \(error.message)", to: readyFD) }
            throw error
        }
    }

    /// Checks everything that can be checked here, starts the daemon, and returns once it has
    /// mounted (or explains why it could not).
    private func mountInBackground() throws {
        let target = try MountPreflight.checkMountpoint(mountpoint)
        try MountPreflight.checkFUSE()
        try OutputCacheCheck.ensureUsable(cacheDirectory)
        _ = try ServiceProbe.probe(service: service, vaults: vaults, cacheDirectory: cacheDirectory, quiet: false)
        let arguments =
            Array(CommandLine.arguments.dropFirst()) + ["--foreground", "--ready-fd", "\(Daemon.readyDescriptor)"]
        let (pid, ready) = try Daemon.spawn(arguments: arguments, logFile: logFilePath)
        switch Daemon.waitForReport(ready, pid: pid, logFile: logFilePath, timeoutSeconds: 120) {
        case .ready(let detail):
            print(
                "glacierfs: mounted at \(target) (daemon pid \(pid)\(detail.isEmpty ? "" : ", \(detail)")). "
                    + "Logs: \(logFilePath). Unmount with: glacierfs unmount \(target)")
        case .failed(let message):
            throw UserFacingError(message, exitCode: GlacierExit.failure)
        }
    }
}

/// Vault-name rules for option validation.
enum NameCheck {
    static func isVaultName(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 255 && s != "." && s != ".."
            && s.unicodeScalars.allSatisfy {
                $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "_-.".unicodeScalars.contains($0))
            }
    }
}
