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

    @Option(name: .customLong("vault"), help: ArgumentHelp("Show only this vault (repeat for more). Default: all vaults.",
                                                          valueName: "name"))
    var vaults: [String] = []

    @Option(name: .customLong("cache-dir"), help: ArgumentHelp("Where verified data is cached (default: ~/.cache/glacierfs).",
                                                              valueName: "path"))
    var cacheDir: String?

    @Option(name: .customLong("cache-size"), help: ArgumentHelp("The most job output to keep cached, e.g. 20G or 500M.", valueName: "size"))
    var cacheSize = ByteSize(bytes: 20 << 30)

    @Option(name: .customLong("cache-min-free"), help: ArgumentHelp("Free space to leave on the cache's disk, e.g. 2G (default: 5%, at most 1G).", valueName: "size"))
    var cacheMinFree: ByteSize?

    @Flag(name: .shortAndLong, help: "Stay in the foreground and log to stderr (for systemd, containers, debugging).")
    var foreground = false

    @Flag(name: .customLong("allow-other"), help: "Let other users see the files (needs user_allow_other in /etc/fuse.conf for non-root).")
    var allowOther = false

    @Option(help: "Owner of the files (default: you).")
    var uid: UInt32?

    @Option(help: "Group of the files (default: yours).")
    var gid: UInt32?

    @Flag(name: .customLong("allow-unverified"),
          help: "Also serve outputs of unaligned ranged retrievals, for which Glacier sends no checksum (size-checked only).")
    var allowUnverified = false

    @Option(name: .short, help: ArgumentHelp("FUSE mount options, comma separated (e.g. -o allow_other,uid=1000).",
                                             valueName: "options"))
    var options: [String] = []

    @Option(name: .customLong("log-file"), help: ArgumentHelp("Where the daemon logs (default: <cache-dir>/glacierfs.log).",
                                                             valueName: "path"))
    var logFile: String?

    @Option(name: .customLong("memory-limit"), help: ArgumentHelp("Memory for data in flight and recently read, e.g. 256M.", valueName: "size"))
    var memoryLimit = ByteSize(bytes: 160 << 20)

    @Option(name: .customLong("parallel-fetches"), help: "GetJobOutput requests in flight at once.")
    var parallelFetches = 16

    @Option(name: .customLong("listing-ttl"), help: "Seconds a vault or job listing is used before it is fetched again.")
    var listingTTL: Double = 60

    @Option(name: .customLong("ready-fd"), help: .hidden)
    var readyFD: Int32?

    @Flag(name: .customLong("debug-fuse"), help: .hidden)
    var debugFUSE = false

    mutating func validate() throws {
        guard memoryLimit.bytes >= 48 << 20 else { throw ValidationError("--memory-limit must be at least 48M") }
        guard cacheSize.bytes >= 8 << 20 else { throw ValidationError("--cache-size must be at least 8M") }
        guard (1...128).contains(parallelFetches) else { throw ValidationError("--parallel-fetches must be 1 to 128") }
        guard listingTTL >= 0, listingTTL <= 86_400 else { throw ValidationError("--listing-ttl must be 0 to 86400 seconds") }
        for vault in vaults where !NameCheck.isVaultName(vault) {
            throw ValidationError("'\(vault)' is not a vault name (1-255 of letters, digits, '_', '-' and '.')")
        }
        var passThrough: [String] = []
        for option in options.flatMap({ $0.split(separator: ",").map(String.init) }) {
            let parts = option.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            switch parts[0] {
            case "":
                throw ValidationError("-o '\(option)' has no option name")
            case "allow_other": allowOther = true
            case "uid": uid = try Self.number(parts, "uid")
            case "gid": gid = try Self.number(parts, "gid")
            case "ro", "rw", "default_permissions", "defaults", "noauto", "auto", "_netdev", "nofail", "user", "users",
                 "nouser", "owner", "group", "exec", "noexec", "suid", "nosuid", "dev", "nodev", "atime", "noatime",
                 "relatime", "norelatime", "strictatime", "nostrictatime", "diratime", "nodiratime", "lazytime",
                 "nolazytime", "comment":
                continue  // implied, or meaningful to mount(8) and systemd only (the same list as mount.glacierfs)
            default:
                if parts[0].hasPrefix("x-") { continue }
                passThrough.append(option)
            }
        }
        options = passThrough
    }

    static func number(_ parts: [String], _ name: String) throws -> UInt32 {
        guard parts.count == 2, let n = UInt32(parts[1]) else { throw ValidationError("-o \(name)= needs a number") }
        return n
    }

    var cacheDirectory: String { cacheDir ?? OutputCache.defaultDirectory() }
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
        let arguments = Array(CommandLine.arguments.dropFirst()) + ["--foreground", "--ready-fd", "\(Daemon.readyDescriptor)"]
        let (pid, ready) = try Daemon.spawn(arguments: arguments, logFile: logFilePath)
        switch Daemon.waitForReport(ready, pid: pid, logFile: logFilePath, timeoutSeconds: 120) {
        case .ready(let detail):
            print("glacierfs: mounted at \(target) (daemon pid \(pid)\(detail.isEmpty ? "" : ", \(detail)")). "
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
            && s.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "_-.".unicodeScalars.contains($0)) }
    }
}
