import Foundation
import GlacierTestSupport
import Testing

/// `glacierfs demo`, end to end: its own emulator, seeding, a real mount, the copy and checks,
/// and cleaning up. Each test keeps the demo's state under its own XDG_CACHE_HOME, and the temp
/// directory's path marks every process it starts.
@Suite("glacierfs demo")
struct DemoTests {
    struct Sandbox: Sendable {
        let root: URL
        var mountpoint: String { root.appendingPathComponent("glacier-demo").path }
        var demoRoot: String { root.path + "/xdg/glacierfs/demo" }
        var environment: [String: String] {
            var environment = ProcessInfo.processInfo.environment
            environment["XDG_CACHE_HOME"] = root.path + "/xdg"
            return environment
        }

        func demo(_ arguments: [String], timeout: Double = 240) async throws -> Command.Result {
            try await offPool { try runDemo(arguments, timeout: timeout) }
        }

        func runDemo(_ arguments: [String], timeout: Double) throws -> Command.Result {
            try Command.run(Surface.glacierfs, ["demo"] + arguments, environment: environment, timeout: timeout)
        }

        /// The demos with state left, by their directory names.
        var stateDirectories: [String] { (try? FileManager.default.contentsOfDirectory(atPath: demoRoot)) ?? [] }

        /// Whatever a failed test left: the demo's own --stop first, then by force.
        func cleanUp() {
            if MountedFileSystem.isMountpoint(mountpoint) || !Processes.matching(root.path).isEmpty {
                _ = try? runDemo(["--stop", mountpoint], timeout: 90)
            }
            Unmount.forceClean(mountpoint)
            Processes.stopAll(root.path)
        }

        func state() throws -> [String: Any] {
            let directory = try #require(stateDirectories.first)
            let data = try Data(contentsOf: URL(fileURLWithPath: "\(demoRoot)/\(directory)/state.json"))
            return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        }
    }

    static func sandbox<T>(_ name: String, _ body: (Sandbox) async throws -> T) async throws -> T {
        try await TempDirectory.with(name) { root in
            let sandbox = Sandbox(root: root)
            return try await withCleanup({ sandbox.cleanUp() }) { try await body(sandbox) }
        }
    }

    @Test("demo DIR --exit runs everything, verifies the copy, and leaves nothing behind")
    func exitRunsEndToEnd() async throws {
        try await Self.sandbox("demo-exit") { sandbox in
            let result = try await sandbox.demo([sandbox.mountpoint, "--exit"])
            #expect(result.status == 0, "\(result.output)")
            #expect(
                result.output.contains("Uploaded demo-random.bin (70.0 MiB, a multipart upload)"), "\(result.output)")
            #expect(
                result.output.contains("demo-random.bin, bytes 32-64 MiB"), "the tree should show the ranged retrieval")
            #expect(result.output.contains("inventory of demo-vault"), "the tree should show the inventory job")
            #expect(
                result.output.contains("archives/") && result.output.contains("report.txt")
                    && result.output.contains("readme.txt~"), "the tree should show archives by their decoded names")
            #expect(result.output.contains("✓ Copied 70.0 MiB with /bin/cp"), "\(result.output)")
            #expect(result.output.contains("Verification by glacierfs: complete (root matched)"), "\(result.output)")
            #expect(result.output.contains("✓ SHA-256 of the copy matches the original"), "\(result.output)")
            #expect(result.output.contains("Demo complete, and cleaned up"), "\(result.output)")
            #expect(!MountedFileSystem.isMountpoint(sandbox.mountpoint))
            #expect(Processes.matching(sandbox.root.path).isEmpty, "a demo process was left running")
            #expect(sandbox.stateDirectories.isEmpty, "the demo's data was left: \(sandbox.stateDirectories)")
            #expect(
                !FileManager.default.fileExists(atPath: sandbox.mountpoint), "the demo made DIR, so it should remove it"
            )
        }
    }

    @Test("demo DIR stays mounted; running it again replaces it; demo --stop DIR removes everything")
    func staysUntilStopped() async throws {
        try await Self.sandbox("demo-stop") { sandbox in
            let first = try await sandbox.demo([sandbox.mountpoint])
            #expect(first.status == 0, "\(first.output)")
            try #require(MountedFileSystem.isMountpoint(sandbox.mountpoint), "\(first.output)")
            #expect(
                first.output.contains("demo --stop \(sandbox.mountpoint)"), "it should say how to stop: \(first.output)"
            )
            let jobs = try FileManager.default.contentsOfDirectory(atPath: sandbox.mountpoint + "/demo-vault/jobs")
            #expect(jobs.count == 4)
            let firstState = try sandbox.state()
            let firstEmulator = try #require(firstState["emulatorPid"] as? Int)
            #expect(kill(pid_t(firstEmulator), 0) == 0, "the emulator should keep running for the mount")
            #expect(firstState["ready"] as? Bool == true)

            let second = try await sandbox.demo([sandbox.mountpoint])
            #expect(second.status == 0, "\(second.output)")
            #expect(
                second.output.contains("already set up at \(sandbox.mountpoint); stopping it first"), "\(second.output)"
            )
            #expect(
                !Processes.matching(sandbox.root.path).contains(pid_t(firstEmulator)),
                "the old emulator was not stopped")
            #expect(MountedFileSystem.isMountpoint(sandbox.mountpoint))
            #expect(sandbox.stateDirectories.count == 1)

            let stop = try await sandbox.demo(["--stop", sandbox.mountpoint], timeout: 90)
            #expect(stop.status == 0, "\(stop.output)")
            #expect(stop.output.contains("Stopped the demo at \(sandbox.mountpoint)"), "\(stop.output)")
            #expect(!MountedFileSystem.isMountpoint(sandbox.mountpoint))
            let gone = try await offPool { Processes.waitUntilGone(sandbox.root.path, timeout: 10) }
            #expect(gone, "a demo process was left running")
            #expect(sandbox.stateDirectories.isEmpty, "the demo's data was left: \(sandbox.stateDirectories)")
            #expect(!FileManager.default.fileExists(atPath: sandbox.mountpoint))

            let again = try await sandbox.demo(["--stop", sandbox.mountpoint], timeout: 60)
            #expect(again.status == 0 && again.output.contains("nothing to stop"), "\(again.output)")
        }
    }

    @Test("Ctrl-C while the demo is being set up stops its emulator and removes its data")
    func interruptedSetUp() async throws {
        try await Self.sandbox("demo-interrupt") { sandbox in
            let demo = try ChildProcess.start(
                Surface.glacierfs, ["demo", sandbox.mountpoint], environment: sandbox.environment,
                logFile: sandbox.root.appendingPathComponent("demo.log").path)
            try await withCleanup({ demo.stop() }) {
                // Wait and interrupt on one thread: a busy test pool could otherwise delay the
                // signal until the demo has finished setting up.
                let (started, emulatorWasRunning) = try await offPool {
                    let line = demo.waitForLine(timeout: 60) { $0.contains("Started a local Glacier emulator") }
                    let running = !Processes.matching(sandbox.root.path + "/xdg").isEmpty
                    if line != nil { kill(demo.pid, SIGINT) }
                    return (line, running)
                }
                try #require(started != nil, "the emulator did not start: \(demo.output)")
                #expect(emulatorWasRunning, "the emulator should have been running when the demo was interrupted")
                let status = await demo.waitAsync(timeout: 60)
                #expect(status == 130, "\(demo.output)")
                #expect(demo.output.contains("interrupted; cleaning up"), "\(demo.output)")
                #expect(!MountedFileSystem.isMountpoint(sandbox.mountpoint))
                #expect(Processes.matching(sandbox.root.path + "/xdg").isEmpty, "the emulator was left running")
                #expect(sandbox.stateDirectories.isEmpty, "the demo's data was left: \(sandbox.stateDirectories)")
            }
        }
    }

    @Test("demo refuses a non-empty directory, and --stop with --exit, saying what to do")
    func refusals() async throws {
        try await Self.sandbox("demo-refuse") { sandbox in
            try FileManager.default.createDirectory(atPath: sandbox.mountpoint, withIntermediateDirectories: true)
            _ = FileManager.default.createFile(
                atPath: sandbox.mountpoint + "/precious.txt", contents: Data("keep".utf8))
            let busy = try await sandbox.demo([sandbox.mountpoint], timeout: 60)
            #expect(busy.status == 5, "\(busy.output)")
            #expect(
                busy.output.contains("is not empty") && busy.output.contains("demo ./glacier-demo-2"), "\(busy.output)")
            #expect(FileManager.default.fileExists(atPath: sandbox.mountpoint + "/precious.txt"))
            #expect(sandbox.stateDirectories.isEmpty)
            #expect(Processes.matching(sandbox.root.path).isEmpty)

            let both = try await sandbox.demo(["--stop", "--exit"], timeout: 30)
            #expect(both.status == 64 && both.output.contains("--stop and --exit do not go together"), "\(both.output)")
        }
    }
}
