import CPlatformSupport
import Foundation
import Synchronization

/// A process a test starts and must stop in every exit path. It is tied to the test process
/// (it gets SIGKILL when the test process dies, even by kill -9), starts with an empty signal mask
/// and default signal actions (the test runner's threads block signals, and a child would inherit
/// that and ignore SIGTERM) and inherits no descriptor above 2; it is reaped with waitpid.
public final class ChildProcess: Sendable {
    public let pid: pid_t
    private let reaped = Mutex<Int32?>(nil)
    /// Where its stdout and stderr go.
    public let logFile: String

    /// Starts `executable` with `arguments` and `environment`, output to a new log file.
    public static func start(
        _ executable: String, _ arguments: [String],
        environment: [String: String] = ProcessInfo.processInfo.environment,
        logFile: String? = nil
    ) throws -> ChildProcess {
        let log = logFile ?? "/tmp/glacierfs-tests/child-\(UUID().uuidString.prefix(8)).log"
        try? FileManager.default.createDirectory(
            atPath: (log as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true)
        return ChildProcess(
            pid: try spawn([executable] + arguments, environment: environment, stdout: .file(log)),
            logFile: log)
    }

    /// Where a child's stdout or stderr goes.
    public enum Output: Sendable {
        case null
        /// Created 0600 and truncated.
        case file(String)
        case descriptor(Int32)
        /// stderr only: wherever stdout goes.
        case sameAsStdout
    }

    /// Starts `argv` (argv[0] searched on this process's PATH, as posix_spawnp does) and returns
    /// its pid. `stdin` nil reads /dev/null; descriptors passed in should be close-on-exec here.
    /// Untied children (`tied: false`) outlive this process: only a watcher that must act after
    /// this process died, such as `LeftoverReaper`, should be one.
    public static func spawn(
        _ argv: [String], environment: [String: String], stdin: Int32? = nil,
        stdout: Output, stderr: Output = .sameAsStdout, tied: Bool = true
    ) throws -> pid_t {
        let path = try resolve(argv[0])
        let cArgv = argv.map { strdup($0) } + [nil]
        defer { cArgv.forEach { free($0) } }
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        func pathOf(_ o: Output) -> String? {
            switch o {
            case .file(let p): return p
            case .null: return "/dev/null"
            default: return nil
            }
        }
        let stdoutPath = pathOf(stdout).map { strdup($0) }, stderrPath = pathOf(stderr).map { strdup($0) }
        defer {
            free(stdoutPath ?? nil)
            free(stderrPath ?? nil)
        }
        let pid: pid_t = path.withCString { cPath in
            cArgv.withUnsafeBufferPointer { argvBuffer in
                envp.withUnsafeBufferPointer { envBuffer in
                    var request = glfs_spawn_request()
                    request.path = cPath
                    request.argv = argvBuffer.baseAddress
                    request.envp = envBuffer.baseAddress
                    request.stdin_fd = stdin ?? -1
                    request.stdout_path = UnsafePointer(stdoutPath ?? nil)
                    if case .descriptor(let fd) = stdout { request.stdout_fd = fd } else { request.stdout_fd = -1 }
                    request.stderr_path = UnsafePointer(stderrPath ?? nil)
                    if case .descriptor(let fd) = stderr { request.stderr_fd = fd } else { request.stderr_fd = -1 }
                    request.tied = tied ? 1 : 0
                    return glfs_spawn(&request)
                }
            }
        }
        guard pid > 0 else { throw SeedError("cannot start \(argv[0]): \(String(cString: strerror(-pid)))") }
        return pid
    }

    /// `name` if it holds a slash, else the first executable of that name on PATH.
    static func resolve(_ name: String) throws -> String {
        if name.contains("/") { return name }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        guard
            let found = path.split(separator: ":").map({ "\($0)/\(name)" })
                .first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else {
            throw SeedError("cannot start \(name): not found on PATH (\(path))")
        }
        return found
    }

    init(pid: pid_t, logFile: String) {
        self.pid = pid
        self.logFile = logFile
    }

    /// Its exit status once it has exited (nil while it runs).
    public var exitStatus: Int32? {
        reaped.withLock { r in
            if let r { return r }
            var status: Int32 = 0
            guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
            r = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            return r
        }
    }

    public var isRunning: Bool { exitStatus == nil }

    /// Waits for it to exit on its own; nil on timeout.
    @discardableResult
    public func wait(timeout: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let s = exitStatus { return s }
            usleep(10_000)
        }
        return exitStatus
    }

    /// SIGTERM, then SIGKILL if it has not exited within `grace` seconds; always reaps it.
    public func stop(grace: Double = 5) {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        if wait(timeout: grace) == nil {
            kill(pid, SIGKILL)
            wait(timeout: 5)
        }
    }

    public func kill9() {
        kill(pid, SIGKILL)
        wait(timeout: 5)
    }

    public var output: String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }

    /// `wait`, on a thread of its own, so no concurrency thread is blocked meanwhile.
    public func waitAsync(timeout: Double) async -> Int32? {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: self.wait(timeout: timeout)) }
        }
    }

    /// `waitForLine`, on a thread of its own.
    public func waitForLineAsync(timeout: Double, where match: @escaping @Sendable (String) -> Bool) async -> String? {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: self.waitForLine(timeout: timeout, where: match)) }
        }
    }

    /// Waits until a line of its output matches, returning that line.
    public func waitForLine(timeout: Double, where match: (String) -> Bool) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let line = output.split(separator: "\n").map(String.init).first(where: match) { return line }
            if !isRunning { return nil }
            usleep(10_000)
        }
        return nil
    }
}
