import Foundation
import GlacierTestSupport
import Testing

/// `glacierfs mount` options that used to be dropped or accepted in silence: an ignored `-o`
/// option is reported, `--parallel-fetches` matches the connection limit, and `--log-file` is
/// honoured in the foreground.
@Suite struct MountOptionTests {
    @Test func ignoredDashOOptionsAreReportedOnStderrAndInTheLog() async throws {
        try await TempDirectory.with("mount-ignored") { dir in
            try await EmulatorHarness.with { emulator in
                let archive = try await Surface.seedArchive(emulator, in: dir, vault: "photos")
                let mountpoint = dir.appendingPathComponent("mnt").path
                try FileManager.default.createDirectory(atPath: mountpoint, withIntermediateDirectories: true)
                defer { Unmount.forceClean(mountpoint) }
                let ignored = "noauto,x-systemd.automount,rw,comment=systemd.x"
                let result = try await Command.run(
                    Surface.glacierfs,
                    [
                        "mount", mountpoint, "--endpoint", emulator.endpoint, "--cache-dir", dir.path + "/cache",
                        "-o", "allow_other," + ignored,
                    ], environment: emulator.environment, timeout: 120)
                #expect(result.status == 0, "\(result.output)")
                #expect(result.output.contains("ignoring -o \(ignored)"), "stderr: \(result.output)")
                let log = (try? String(contentsOfFile: dir.path + "/cache/glacierfs.log", encoding: .utf8)) ?? ""
                #expect(log.contains("ignoring -o \(ignored)"), "log: \(log)")
                #expect(
                    try Surface.readsBack(archive, under: mountpoint), "the mount works despite the ignored options")
                #expect(Unmount.viaMountCommand(mountpoint) == nil)
            }
        }
    }

    @Test func parallelFetchesBeyondTheConnectionLimitIsAUsageError() async throws {
        try await TempDirectory.with("mount-parallel") { dir in
            let mountpoint = dir.appendingPathComponent("mnt").path
            try FileManager.default.createDirectory(atPath: mountpoint, withIntermediateDirectories: true)
            for (value, accepted) in [("32", true), ("33", false), ("128", false), ("0", false)] {
                let result = try await Command.run(
                    Surface.glacierfs,
                    [
                        "mount", mountpoint, "--endpoint", "http://127.0.0.1:1", "--region", "us-east-1",
                        "--cache-dir", dir.path + "/cache", "--parallel-fetches", value,
                    ], environment: MountErrorTests.environment(home: dir, keys: true), timeout: 60)
                if accepted {
                    // Past option checks, it fails on the unreachable endpoint instead.
                    #expect(result.status == 4, "\(value): \(result.output)")
                } else {
                    #expect(
                        result.status == 64 && result.output.contains("--parallel-fetches must be 1 to 32"),
                        "\(value): \(result.output)")
                }
            }
            #expect(!MountedFileSystem.isMountpoint(mountpoint))
        }
    }

    @Test func logFileIsHonouredInTheForeground() async throws {
        try await TempDirectory.with("mount-logfile") { dir in
            try await EmulatorHarness.with { emulator in
                _ = try await Surface.seedArchive(emulator, in: dir, vault: "photos")
                let mountpoint = dir.appendingPathComponent("mnt").path
                try FileManager.default.createDirectory(atPath: mountpoint, withIntermediateDirectories: true)
                let logFile = dir.path + "/foreground.log"
                let daemon = try ChildProcess.start(
                    Surface.glacierfs,
                    [
                        "mount", mountpoint, "--foreground", "--endpoint", emulator.endpoint, "--cache-dir",
                        dir.path + "/cache",
                        "--log-file", logFile,
                    ], environment: emulator.environment)
                defer {
                    Unmount.forceClean(mountpoint)
                    daemon.stop()
                }
                let deadline = Date().addingTimeInterval(60)
                while Date() < deadline, daemon.isRunning, !MountedFileSystem.isMountpoint(mountpoint) {
                    try await Task.sleep(for: .milliseconds(50))
                }
                try #require(MountedFileSystem.isMountpoint(mountpoint), "not mounted: \(daemon.output)")
                #expect(Unmount.viaMountCommand(mountpoint) == nil)
                #expect(await daemon.waitAsync(timeout: 30) == 0, "\(daemon.output)")
                let log = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
                #expect(
                    log.contains("notice glacierfs: mounted") && log.contains("notice glacierfs: unmounted"),
                    "log: \(log)")
                #expect(!daemon.output.contains("glacierfs: mounted"), "log lines belong in the file: \(daemon.output)")
                #expect(daemon.output.contains("logging to \(logFile)"), "\(daemon.output)")
            }
        }
    }
}
