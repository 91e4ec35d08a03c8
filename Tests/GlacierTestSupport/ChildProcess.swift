import CPlatformSupport
import Foundation
import Synchronization

/// A process a test starts and must stop in every exit path. Spawned with an empty signal mask
/// (a `Foundation.Process` child inherits the test runner's blocked signals and then ignores
/// SIGTERM), and reaped with waitpid.
public final class ChildProcess: Sendable {
    public let pid: pid_t
    private let reaped = Mutex<Int32?>(nil)
    /// Where its stdout and stderr go.
    public let logFile: String

    /// Starts `executable` with `arguments` and `environment`, output to a new log file.
    public static func start(_ executable: String, _ arguments: [String],
                             environment: [String: String] = ProcessInfo.processInfo.environment,
                             logFile: String? = nil) throws -> ChildProcess {
        let log = logFile ?? "/tmp/glacierfs-tests/child-\(UUID().uuidString.prefix(8)).log"
        try? FileManager.default.createDirectory(atPath: (log as NSString).deletingLastPathComponent,
                                                 withIntermediateDirectories: true)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        return ChildProcess(pid: try spawnCleanly([executable] + arguments, environment: environment, actions: &actions),
                            logFile: log)
    }

    /// posix_spawnp with what every test child needs besides its own file actions (added first):
    /// no descriptors above 2, since other tests open files without close-on-exec; and an empty
    /// signal mask with default actions, since the test runner's threads block signals and a child
    /// would inherit that (and then ignore SIGTERM).
    public static func spawnCleanly(_ argv: [String], environment: [String: String],
                                    actions: inout posix_spawn_file_actions_t) throws -> pid_t {
        glfs_spawn_close_from(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let cArgv = argv.map { strdup($0) } + [nil]
        defer { cArgv.forEach { free($0) } }
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawnp(&pid, argv[0], &actions, &attributes, cArgv, envp)
        guard status == 0 else { throw SeedError("cannot start \(argv[0]): \(String(cString: strerror(status)))") }
        return pid
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
