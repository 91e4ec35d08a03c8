import Foundation
import GlacierTestSupport
import Testing

/// A test process killed with SIGKILL leaves nothing behind: its emulator dies with it (tied
/// children), and its mount is lazily unmounted and its daemon killed (`LeftoverReaper`).
@Suite struct LeftoverProcessTests {
    @Test func emulatorMountAndDaemonDieWithAKilledTestProcess() async throws {
        let probe = try ChildProcess.start(TestPaths.binary("glacierfs-leftover-probe"), [])
        guard let line = await probe.waitForLineAsync(timeout: 120, where: { $0.hasPrefix("ready ") }) else {
            probe.kill9()
            Issue.record("the probe did not start: \(probe.output)")
            return
        }
        let fields = line.split(separator: " ").map(String.init)
        try #require(fields.count == 6, "\(line)")
        let emulator = try #require(pid_t(fields[1])), daemon = try #require(pid_t(fields[2]))
        let mountpoint = fields[3]
        defer {
            // Whatever the outcome, leave nothing for the next run.
            for pid in [emulator, daemon] where Self.isAlive(pid) { kill(pid, SIGKILL) }
            if MountedFileSystem.isMountpoint(mountpoint) {
                _ = try? Command.run("/bin/fusermount3", ["-uz", mountpoint])
            }
            for path in fields[3...] { try? FileManager.default.removeItem(atPath: path) }
        }
        #expect(daemon > 0, "the probe found no daemon pid")
        #expect(Self.isAlive(emulator) && Self.isAlive(daemon) && MountedFileSystem.isMountpoint(mountpoint))

        probe.kill9()

        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline,
            Self.isAlive(emulator) || Self.isAlive(daemon) || MountedFileSystem.isMountpoint(mountpoint)
        {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(!Self.isAlive(emulator), "the emulator outlived the killed test process")
        #expect(!Self.isAlive(daemon), "the mount daemon outlived the killed test process")
        #expect(!MountedFileSystem.isMountpoint(mountpoint), "the mount outlived the killed test process")
    }

    /// Running, and not a zombie waiting for a parent that does not reap.
    static func isAlive(_ pid: pid_t) -> Bool {
        guard pid > 0, kill(pid, 0) == 0,
            let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return !stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }
}
