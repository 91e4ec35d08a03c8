import Foundation
import GlacierFileSystem
import Synchronization

/// Mounting and unmounting for the benchmark: this same binary, in the background, so the
/// daemon's memory can be read from /proc while it runs.
struct BenchMount {
    let workspace: BenchWorkspace
    let extraArguments: [String]
    /// The workspace's cache, or another one (a cache in memory, to set the disk's share apart).
    var cacheDirectory: String
    /// The largest VmHWM seen across every daemon of the run.
    static let peakRSS = PeakTracker()

    init(workspace: BenchWorkspace, extraArguments: [String], cacheDirectory: String? = nil) {
        self.workspace = workspace
        self.extraArguments = extraArguments
        self.cacheDirectory = cacheDirectory ?? workspace.cacheDirectory
    }

    func mount() throws {
        try? FileManager.default.createDirectory(atPath: workspace.mountpoint, withIntermediateDirectories: true)
        let arguments =
            [
                "mount", workspace.mountpoint, "--endpoint", workspace.endpoint, "--cache-dir", cacheDirectory,
            ] + extraArguments
        let r = try ChildProcesses.run(
            ChildProcesses.selfExecutable, arguments, environment: workspace.environment,
            logFile: workspace.directory + "/mount-command.log", timeout: 120)
        guard r.status == 0 else { throw UserFacingError("mounting for the benchmark failed: \(r.output)") }
    }

    func status() -> FileSystemStatus? { StatusReader.read(mountpoint: workspace.mountpoint) }

    func unmount() {
        if let pid = status()?.pid { Self.peakRSS.record(Self.peakRSS(of: pid)) }
        _ = try? ChildProcesses.run(
            ChildProcesses.selfExecutable, ["unmount", workspace.mountpoint],
            environment: workspace.environment, logFile: workspace.directory + "/unmount.log",
            timeout: 60)
    }

    /// Samples the daemon's peak memory now (it only grows while the daemon lives).
    @discardableResult
    func sampleMemory() -> Int? {
        guard let pid = status()?.pid, let rss = Self.peakRSS(of: pid) else { return nil }
        Self.peakRSS.record(rss)
        return rss
    }

    static func peakRSS(of pid: Int32) -> Int? {
        ProcessUsage.statusKibibytes("VmHWM", of: pid).map { $0 * 1024 }
    }

    /// Drops the kernel's page cache (root only), so reads go to the daemon and its disk cache.
    static func dropPageCache() -> Bool {
        sync()
        guard let h = FileHandle(forWritingAtPath: "/proc/sys/vm/drop_caches") else { return false }
        defer { try? h.close() }
        return (try? h.write(contentsOf: Data("3\n".utf8))) != nil
    }
}

final class PeakTracker: Sendable {
    private let value = Mutex<Int?>(nil)
    func record(_ v: Int?) {
        guard let v else { return }
        value.withLock { $0 = max($0 ?? 0, v) }
    }
    var peak: Int? { value.withLock { $0 } }
}
