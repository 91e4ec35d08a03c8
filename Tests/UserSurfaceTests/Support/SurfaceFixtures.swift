import Foundation
import GlacierClient
import GlacierTestSupport

/// Paths and small fixtures shared by the user-surface tests.
enum Surface {
    static let helpers = TestPaths.repositoryRoot.appendingPathComponent("mount-helpers")
    static let helperScript = helpers.appendingPathComponent("mount.glacierfs").path
    static let unitFile = helpers.appendingPathComponent("glacierfs@.service").path
    static let installScript = helpers.appendingPathComponent("install.sh").path
    static var glacierfs: String { TestPaths.binary("glacierfs") }

    /// A vault with one completed whole-archive retrieval of a random file a little over 3 MiB
    /// (so it spans several tree-hash leaves and ends with a short one).
    struct Archive: Sendable {
        let vault: String
        let jobId: String
        let source: URL

        var relativeOutput: String { "\(vault)/jobs/\(jobId)/output" }
    }

    static func seedArchive(_ emulator: EmulatorHarness, in directory: URL, vault: String) async throws -> Archive {
        let source = try Seed.randomFile(size: (3 << 20) + 4321, in: directory)
        let (_, jobId) = try await Seed.archiveJob(emulator.client(), vault: vault, file: source)
        return Archive(vault: vault, jobId: jobId, source: source)
    }

    /// The emulator's credentials for a child process, and the glacierfs the helper must run.
    static func mountEnvironment(_ emulator: EmulatorHarness) -> [String: String] {
        var environment = emulator.environment
        environment["GLACIERFS_BIN"] = glacierfs
        return environment
    }

    /// Whether the mounted output reads back byte for byte as the file that was uploaded.
    static func readsBack(_ archive: Archive, under mountpoint: String) throws -> Bool {
        try contents(of: mountpoint + "/" + archive.relativeOutput) == contents(of: archive.source.path)
    }

    /// A whole file, read through a close-on-exec descriptor: other tests spawn processes all
    /// the time, and one that inherited a descriptor into the mount would keep it busy.
    static func contents(of path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SeedError("open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = read(fd, &chunk, chunk.count)
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw SeedError("read \(path): \(String(cString: strerror(errno)))") }
            if n == 0 { return bytes }
            bytes += chunk[0 ..< n]
        }
    }
}

/// Processes found by a marker in their command line: tests use a unique temp path as the
/// marker, so they only ever see (and stop) their own.
enum Processes {
    static func matching(_ marker: String) -> [pid_t] {
        let own = getpid()
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { pid_t($0) }.filter { pid in
            guard pid != own, let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !data.isEmpty,
                !isZombie(pid)
            else { return false }
            return String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self).contains(marker)
        }
    }

    static func isZombie(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return true }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }

    /// Waits until no process matches; true if none is left.
    static func waitUntilGone(_ marker: String, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if matching(marker).isEmpty { return true }
            usleep(50_000)
        }
        return matching(marker).isEmpty
    }

    /// Last resort in cleanup paths: SIGTERM, then SIGKILL, whatever still matches.
    static func stopAll(_ marker: String) {
        for pid in matching(marker) { kill(pid, SIGTERM) }
        if waitUntilGone(marker, timeout: 5) { return }
        for pid in matching(marker) { kill(pid, SIGKILL) }
        _ = waitUntilGone(marker, timeout: 5)
    }
}

/// Unmounting mounts that tests made, in every exit path.
enum Unmount {
    /// `umount` (which also drops mount(8)'s /run/mount/utab entry), then a lazy unmount if
    /// needed, then waits for the daemon (found by the mountpoint in its command line) to exit.
    /// Returns umount's output if it failed.
    @discardableResult
    static func viaMountCommand(_ mountpoint: String) -> String? {
        var failure: String?
        if MountedFileSystem.isMountpoint(mountpoint) {
            let result = try? Command.run("/bin/umount", [mountpoint], timeout: 60)
            if result?.status != 0 { failure = result?.output ?? "umount did not run" }
        }
        forceClean(mountpoint)
        return failure
    }

    /// Lazy unmount and kill: only for what the normal path left behind. `umount -l` first, as
    /// it also drops mount(8)'s record.
    static func forceClean(_ mountpoint: String) {
        if MountedFileSystem.isMountpoint(mountpoint) {
            _ = try? Command.run("/bin/umount", ["-l", mountpoint], timeout: 30)
        }
        if MountedFileSystem.isMountpoint(mountpoint) {
            _ = try? Command.run("/bin/fusermount3", ["-uz", mountpoint], timeout: 30)
        }
        if !Processes.waitUntilGone(mountpoint, timeout: 30) { Processes.stopAll(mountpoint) }
    }
}
