import Foundation

/// A real glacierfs mount for a test: the built `glacierfs` binary, mounted in the background
/// against an emulator, and unmounted (with its daemon stopped) in every exit path via `with`.
public final class MountedFileSystem: Sendable {
    public let mountpoint: String
    public let cacheDirectory: String
    public let endpoint: String
    public let environment: [String: String]
    public let arguments: [String]
    /// The mountpoint was made for this mount, so its unmount removes it: a test run made
    /// hundreds of empty ones a day under /tmp/glacierfs-tests.
    let ownsMountpoint: Bool

    /// Mounts with `glacierfs mount MOUNTPOINT --endpoint ... --cache-dir ... EXTRA`, returning once
    /// the command reports the mount ready. Throws with the command's output if it fails.
    public static func mount(
        endpoint: String, environment: [String: String], cacheDirectory: String,
        mountpoint: String? = nil, extraArguments: [String] = []
    ) async throws -> MountedFileSystem {
        let target = mountpoint ?? TempDirectory.make("mnt").path
        try? FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        LeftoverReaper.watch(target)  // a mountpoint given by the caller may lie outside TempDirectory
        let arguments = ["mount", target, "--endpoint", endpoint, "--cache-dir", cacheDirectory] + extraArguments
        let result = try await Command.run(
            TestPaths.binary("glacierfs"), arguments, environment: environment, timeout: 120)
        guard result.status == 0 else {
            throw SeedError("glacierfs mount failed (\(result.status)): \(result.output)")
        }
        return MountedFileSystem(
            mountpoint: target, cacheDirectory: cacheDirectory, endpoint: endpoint,
            environment: environment, arguments: arguments, ownsMountpoint: mountpoint == nil)
    }

    init(
        mountpoint: String, cacheDirectory: String, endpoint: String, environment: [String: String],
        arguments: [String], ownsMountpoint: Bool = false
    ) {
        self.mountpoint = mountpoint
        self.cacheDirectory = cacheDirectory
        self.endpoint = endpoint
        self.environment = environment
        self.arguments = arguments
        self.ownsMountpoint = ownsMountpoint
    }

    /// Mounts, runs `body`, and unmounts however `body` ends.
    public static func with<T>(
        endpoint: String, environment: [String: String], cacheDirectory: String,
        extraArguments: [String] = [], _ body: (MountedFileSystem) async throws -> T
    ) async throws -> T {
        let mounted = try await mount(
            endpoint: endpoint, environment: environment, cacheDirectory: cacheDirectory,
            extraArguments: extraArguments)
        do {
            let result = try await body(mounted)
            await mounted.unmount()
            return result
        } catch {
            await mounted.unmount()
            throw error
        }
    }

    static func pid(in text: String) -> pid_t? {
        guard let range = text.range(of: "\"pid\" : ") ?? text.range(of: "\"pid\":") else { return nil }
        return pid_t(text[range.upperBound...].prefix { $0.isNumber || $0 == " " }.trimmingCharacters(in: .whitespaces))
    }

    /// The daemon's pid, from its status attribute. Right after a mount a loaded machine may not
    /// answer at once: `patience` keeps asking that long before giving up.
    public func daemonPid(patience: Duration = .zero) async -> pid_t? {
        let deadline = ContinuousClock.now + patience
        while true {
            let out = try? await Command.run(
                "/usr/bin/getfattr",
                ["--absolute-names", "--only-values", "-n", "user.glacierfs.status", mountpoint], timeout: 30)
            if let pid = out.flatMap({ Self.pid(in: $0.output) }) { return pid }
            guard ContinuousClock.now < deadline else { return nil }
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    public var isMounted: Bool { Self.isMountpoint(mountpoint) }

    /// Unmounts with `glacierfs unmount`, falling back to a lazy unmount and killing the daemon,
    /// so a failed test never leaves a mount or a process behind.
    public func unmount() async {
        let pid = await daemonPid()
        _ = try? await Command.run(
            TestPaths.binary("glacierfs"), ["unmount", mountpoint], environment: environment,
            timeout: 60)
        if Self.isMountpoint(mountpoint) {
            _ = try? await Command.run("/bin/fusermount3", ["-uz", mountpoint], timeout: 30)
        }
        if let pid, kill(pid, 0) == 0 {
            kill(pid, SIGKILL)
            usleep(100_000)
        }
        // Only once nothing is mounted there, and only if empty (rmdir refuses otherwise).
        if ownsMountpoint && !Self.isMountpoint(mountpoint) { rmdir(mountpoint) }
    }

    public func path(_ relative: String) -> String { mountpoint + "/" + relative }

    /// The daemon's log so far ("" before it has one).
    public var log: String { (try? String(contentsOfFile: cacheDirectory + "/glacierfs.log", encoding: .utf8)) ?? "" }

    public static func isMountpoint(_ path: String) -> Bool {
        guard let text = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return false }
        return text.split(separator: "\n").contains {
            $0.split(separator: " ").dropFirst(4).first.map(String.init) == path
        }
    }
}

/// Runs a command to completion with a timeout, collecting stdout and stderr together.
public enum Command {
    public struct Result: Sendable {
        public let status: Int32
        public let output: String
    }

    /// Runs to completion, waiting on a thread of its own (never on a concurrency thread).
    public static func run(
        _ executable: String, _ arguments: [String],
        environment: [String: String] = ProcessInfo.processInfo.environment,
        timeout: Double = 300
    ) async throws -> Result {
        let child = try ChildProcess.start(executable, arguments, environment: environment)
        defer { try? FileManager.default.removeItem(atPath: child.logFile) }
        guard let status = await child.waitAsync(timeout: timeout) else {
            child.kill9()
            throw SeedError(
                "\(executable) \(arguments.joined(separator: " ")) did not finish within \(timeout) s: \(child.output)")
        }
        return Result(status: status, output: child.output)
    }

    /// The blocking form, for synchronous code. In async code the async overload is chosen, which
    /// keeps concurrency threads free (an in-process emulator needs them).
    public static func run(
        _ executable: String, _ arguments: [String],
        environment: [String: String] = ProcessInfo.processInfo.environment,
        timeout: Double = 300
    ) throws -> Result {
        let child = try ChildProcess.start(executable, arguments, environment: environment)
        defer { try? FileManager.default.removeItem(atPath: child.logFile) }
        guard let status = child.wait(timeout: timeout) else {
            child.kill9()
            throw SeedError(
                "\(executable) \(arguments.joined(separator: " ")) did not finish within \(timeout) s: \(child.output)")
        }
        return Result(status: status, output: child.output)
    }

    /// Runs `/bin/sh -c script`.
    public static func shell(
        _ script: String, environment: [String: String] = ProcessInfo.processInfo.environment,
        timeout: Double = 300
    ) async throws -> Result {
        try await run("/bin/sh", ["-c", script], environment: environment, timeout: timeout)
    }

    /// Runs shell commands all at once and waits for each: the status is 0 only if every one
    /// succeeded (a bare `wait` would hide a failed one).
    public static func allAtOnce(_ commands: [String], timeout: Double = 300) async throws -> Result {
        let start = commands.enumerated().map { "\($1) & p\($0)=$!" }
        let pids = commands.indices.map { "$p\($0)" }.joined(separator: " ")
        return try await shell(
            (start + ["s=0", "for p in \(pids); do wait $p || s=1; done", "exit $s"]).joined(separator: "\n"),
            timeout: timeout)
    }
}
