import CPlatformSupport
import Foundation

/// Starting, watching and stopping the programs glacierfs runs: the mount daemon, the emulator,
/// and the tools the demo and the benchmark use.
enum ChildProcesses {
    /// This executable, for running `glacierfs mount` and `glacierfs unmount`.
    static var selfExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// A companion program: next to this executable first (a build directory, or an install
    /// prefix), else on PATH.
    static func locate(_ name: String) -> String? {
        let beside = (selfExecutable as NSString).deletingLastPathComponent + "/" + name
        if access(beside, X_OK) == 0 { return beside }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { access($0, X_OK) == 0 }
    }

    /// Starts a program in a session of its own (so a Ctrl-C in the terminal reaches only us,
    /// and we stop everything in order), with an empty signal mask and default signal handling (a
    /// child inherits Swift's blocked signals otherwise, and ignores SIGTERM), stdin from
    /// /dev/null, stdout and stderr appended to `logFile`, and no other inherited descriptor
    /// except `passing` (duplicated to fd 3).
    static func spawn(
        _ executable: String, _ arguments: [String], environment: [String: String],
        logFile: String, passing descriptor: Int32? = nil
    ) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logFile, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        if let descriptor { posix_spawn_file_actions_adddup2(&actions, descriptor, 3) }
        // Files opened elsewhere in this process without close-on-exec must not leak into it.
        glfs_spawn_close_from(&actions, descriptor == nil ? 3 : 4)
        var attributes = SignalReset.spawnAttributes()
        defer { posix_spawnattr_destroy(&attributes) }
        var flags: Int16 = 0
        posix_spawnattr_getflags(&attributes, &flags)
        posix_spawnattr_setflags(&attributes, flags | posixSpawnSetsid)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard status == 0 else {
            throw UserFacingError(
                "could not start \(executable): \(String(cString: strerror(status))). "
                    + "Check that it exists and is executable.")
        }
        return pid
    }

    /// glibc's POSIX_SPAWN_SETSID (spawn.h), which Swift's Glibc module does not export.
    private static let posixSpawnSetsid: Int16 = 0x80

    /// Runs a program to completion, its output going to `logFile`; returns the exit status and
    /// the output. Kills it after `timeout` seconds.
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String],
        logFile: String, timeout: Double
    ) throws -> (status: Int32, output: String) {
        _ = FileManager.default.createFile(atPath: logFile, contents: nil)
        let pid = try spawn(executable, arguments, environment: environment, logFile: logFile)
        let status = waitForExit(pid, timeout: timeout)
        if status == nil {
            kill(pid, SIGKILL)
            _ = waitForExit(pid, timeout: 5)
        }
        let output = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
        guard let status else {
            throw UserFacingError(
                "\((executable as NSString).lastPathComponent) \(arguments.first ?? "") did not finish "
                    + "within \(Int(timeout)) s and was stopped. Its output:\n\(output)")
        }
        return (status, output)
    }

    /// Waits for a process to exit: reaps it if it is our child, else watches it. Its exit
    /// status (128+signal if killed; 0 when it is not our child), or nil on timeout.
    static func waitForExit(_ pid: pid_t, timeout: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            var status: Int32 = 0
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f) }
            if r < 0 && errno == ECHILD && !isAlive(pid) { return 0 }
            usleep(20_000)
        } while Date() < deadline
        return nil
    }

    /// Waits for a child of ours without polling, so timings of short runs stay exact.
    static func waitBlocking(_ pid: pid_t) -> Int32? {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return nil }
        }
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// Whether `pid` is a live process (not gone, not a zombie).
    static func isAlive(_ pid: pid_t) -> Bool {
        guard pid > 0, kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return true }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state != "Z" && state != "X"
    }

    /// A process's command line (empty if it is gone or unreadable), to check that a pid from
    /// the state file still belongs to the demo before signalling it.
    static func commandLine(_ pid: pid_t) -> [String] {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return [] }
        return data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }

    /// SIGTERM, and SIGKILL if it has not exited after `grace` seconds. True once it is gone.
    @discardableResult
    static func terminate(_ pid: pid_t, grace: Double) -> Bool {
        guard isAlive(pid) else {
            _ = waitForExit(pid, timeout: 0)  // reap it if it is our zombie
            return true
        }
        kill(pid, SIGTERM)
        if waitForExit(pid, timeout: grace) != nil { return true }
        kill(pid, SIGKILL)
        return waitForExit(pid, timeout: 5) != nil
    }
}

/// Spawn attributes that give the child an empty signal mask and default signal handling.
enum SignalReset {
    static func spawnAttributes() -> posix_spawnattr_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var all = sigset_t()
        sigfillset(&all)
        sigdelset(&all, SIGKILL)
        sigdelset(&all, SIGSTOP)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        return attributes
    }
}
