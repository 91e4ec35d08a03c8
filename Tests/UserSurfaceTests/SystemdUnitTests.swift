import Foundation
import GlacierTestSupport
import Testing

/// mount-helpers/glacierfs@.service: its settings, and its commands run the way systemd runs
/// them, with a notify socket to catch the daemon's readiness.
@Suite("glacierfs@.service")
struct SystemdUnitTests {
    static let installedBinary = "/usr/local/bin/glacierfs"

    static func unit() throws -> UnitFile {
        UnitFile(text: try String(contentsOfFile: Surface.unitFile, encoding: .utf8))
    }

    @Test("the template is a notify service that mounts %f in the foreground and unmounts it on stop")
    func settings() throws {
        let unit = try Self.unit()
        #expect(unit.value("Service", "Type") == "notify")
        #expect(
            unit.value("Service", "ExecStart") == "\(Self.installedBinary) mount %f --foreground $GLACIERFS_OPTIONS")
        #expect(unit.value("Service", "ExecStop") == "\(Self.installedBinary) unmount %f")
        #expect(unit.values("Service", "EnvironmentFile") == ["-/etc/glacierfs/%i.conf"])
        #expect(unit.value("Service", "Restart") == "on-failure")
        #expect(unit.value("Unit", "After")?.contains("network-online.target") == true)
        #expect(unit.value("Unit", "Wants")?.contains("network-online.target") == true)
        #expect(unit.value("Install", "WantedBy") == "multi-user.target")
        let text = try String(contentsOfFile: Surface.unitFile, encoding: .utf8)
        #expect(
            text.contains("systemctl enable --now") && text.contains("systemd-escape --path /mnt/glacier"),
            "the comment block should say how to instantiate the template")
    }

    @Test("ExecStart sends READY=1 once the filesystem is mounted, and ExecStop unmounts it (STOPPING=1)")
    func readinessThroughNotifySocket() async throws {
        let unit = try Self.unit()
        try await TempDirectory.with("unit") { dir in
            try await EmulatorHarness.with { emulator in
                let archive = try await Surface.seedArchive(emulator, in: dir, vault: "photos")
                let mountpoint = dir.appendingPathComponent("mnt").path
                let instance = try Self.escape(mountpoint)
                // What /etc/glacierfs/<instance>.conf would hold, plus the credentials.
                var options = emulator.environment
                options["GLACIERFS_OPTIONS"] = "--endpoint \(emulator.endpoint) --cache-dir \(dir.path)/cache"
                let environment = options
                let run = { (line: String) -> [String] in
                    var argv = UnitFile.command(
                        line, instancePath: mountpoint, instance: instance, environment: environment)
                    if argv.first == Self.installedBinary { argv[0] = Surface.glacierfs }
                    return argv
                }
                for pre in unit.values("Service", "ExecStartPre") {
                    let argv = run(pre)
                    let result = try await Command.run(
                        argv[0], Array(argv.dropFirst()), environment: environment, timeout: 30)
                    #expect(result.status == 0, "\(pre): \(result.output)")
                }
                #expect(FileManager.default.fileExists(atPath: mountpoint), "ExecStartPre should create the mountpoint")

                let socket = try NotifySocket(directory: dir)
                defer { socket.close() }
                var serviceEnvironment = environment
                serviceEnvironment["NOTIFY_SOCKET"] = socket.path
                let start = run(try #require(unit.value("Service", "ExecStart")))
                #expect(
                    start == [
                        Surface.glacierfs, "mount", mountpoint, "--foreground", "--endpoint", emulator.endpoint,
                        "--cache-dir", "\(dir.path)/cache",
                    ])
                let daemon = try ChildProcess.start(
                    start[0], Array(start.dropFirst()), environment: serviceEnvironment,
                    logFile: dir.appendingPathComponent("daemon.log").path)
                try await withCleanup({
                    daemon.stop()
                    Unmount.forceClean(mountpoint)
                }) {
                    let ready = try await offPool { socket.waitFor("READY=1", timeout: 90) }
                    try #require(ready, "no READY=1; got \(socket.received); daemon output: \(daemon.output)")
                    #expect(MountedFileSystem.isMountpoint(mountpoint), "READY=1 came before the mount was up")
                    let same = try await offPool { try Surface.readsBack(archive, under: mountpoint) }
                    #expect(same, "the mounted output differs from the uploaded file")

                    // ExecStop waits for the daemon to exit; like systemd, reap it meanwhile, or the
                    // zombie would look alive until ExecStop gives up.
                    let stop = run(try #require(unit.value("Service", "ExecStop")))
                    let stopper = try ChildProcess.start(
                        stop[0], Array(stop.dropFirst()), environment: environment,
                        logFile: dir.appendingPathComponent("stop.log").path)
                    let exit = await daemon.waitAsync(timeout: 60)
                    #expect(exit == 0, "the daemon should exit cleanly after ExecStop: \(daemon.output)")
                    let stopped = await stopper.waitAsync(timeout: 30)
                    #expect(stopped == 0, "ExecStop failed: \(stopper.output)")
                    stopper.stop()
                    let stopping = try await offPool { socket.waitFor("STOPPING=1", timeout: 5) }
                    #expect(stopping, "no STOPPING=1; got \(socket.received)")
                    #expect(!MountedFileSystem.isMountpoint(mountpoint))
                }
            }
        }
    }

    /// The instance name systemd would use for a mountpoint (`systemd-escape --path`).
    static func escape(_ path: String) throws -> String {
        let plain = String(path.dropFirst()).replacingOccurrences(of: "-", with: "\\x2d").replacingOccurrences(
            of: "/", with: "-")
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-escape") else { return plain }
        let result = try Command.run("/usr/bin/systemd-escape", ["--path", path], timeout: 10)
        return result.status == 0 ? result.output.trimmingCharacters(in: .whitespacesAndNewlines) : plain
    }
}
