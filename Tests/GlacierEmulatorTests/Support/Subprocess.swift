import Foundation
import GlacierTestSupport

/// Child processes the tests own the pid of and reap themselves (tied to the test process).
enum Subprocess {
    struct Result: Sendable {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs `arguments` (searched on PATH) to completion, killing it after `timeout` seconds.
    static func run(_ arguments: [String], environment: [String: String], timeout: Double = 60) async throws -> Result {
        let dir = try ScratchDirectory("subprocess")
        defer { dir.remove() }
        let out = dir.path + "/stdout", err = dir.path + "/stderr"
        let pid = try spawn(arguments, environment: environment, stdoutPath: out, stderrPath: err)
        let status = try await wait(pid: pid, timeout: timeout)
        let stdout = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
        return Result(status: status, stdout: stdout, stderr: stderr)
    }

    /// A started child: its pid, the read end of its stdout, and the write end of its stdin (close
    /// it, or let this process die, and a child watching stdin sees end of file).
    struct Launched: Sendable {
        let pid: pid_t
        let stdout: Int32
        let stdin: Int32
    }

    /// Starts a process with stdin and stdout on pipes and stderr to a file.
    static func launch(_ arguments: [String], environment: [String: String], stderrPath: String) throws -> Launched {
        var out: [Int32] = [0, 0], input: [Int32] = [0, 0]
        guard pipe(&out) == 0, pipe(&input) == 0 else { throw TestFailure("pipe failed") }
        // (pipe2 is not imported; a child spawned by another test in this instant may inherit an end
        // until it exits, which only delays an EOF.)
        for fd in out + input { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        defer {
            close(out[1])
            close(input[0])
        }
        let pid = try spawn(
            arguments, environment: environment, stdinFD: input[0], stdoutFD: out[1],
            stderrPath: stderrPath)
        return Launched(pid: pid, stdout: out[0], stdin: input[1])
    }

    /// Reads one line from `fd` (blocking, on its own thread).
    static func readLine(fd: Int32, timeout: Double) async throws -> String {
        try await offPool {
            var line: [UInt8] = []
            let deadline = Date().addingTimeInterval(timeout)
            var byte: UInt8 = 0
            while Date() < deadline {
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&p, 1, 100) >= 0 else { break }
                if p.revents == 0 { continue }
                guard read(fd, &byte, 1) == 1 else { break }
                if byte == 0x0a { return String(decoding: line, as: UTF8.self) }
                line.append(byte)
            }
            throw TestFailure("no line within \(timeout)s (got '\(String(decoding: line, as: UTF8.self))')")
        }
    }

    /// Waits for the process; returns its exit status, or 128+signal. Kills it after `timeout`.
    static func wait(pid: pid_t, timeout: Double) async throws -> Int32 {
        try await offPool {
            let deadline = Date().addingTimeInterval(timeout)
            var status: Int32 = 0
            while true {
                let r = waitpid(pid, &status, WNOHANG)
                if r == pid { break }
                if r < 0 { throw TestFailure("waitpid failed: \(errno)") }
                if Date() > deadline {
                    kill(pid, SIGKILL)
                    _ = waitpid(pid, &status, 0)
                    throw TestFailure("process \(pid) did not finish within \(timeout)s")
                }
                usleep(5_000)
            }
            let signal = status & 0x7f
            return signal == 0 ? (status >> 8) & 0xff : 128 + signal
        }
    }

    /// Pipe ends passed in must be close-on-exec; dup2 onto 0 and 1 clears that for the child.
    private static func spawn(
        _ arguments: [String], environment: [String: String], stdinFD: Int32? = nil,
        stdoutPath: String? = nil, stdoutFD: Int32? = nil, stderrPath: String
    ) throws -> pid_t {
        let stdout: ChildProcess.Output = stdoutPath.map { .file($0) } ?? stdoutFD.map { .descriptor($0) } ?? .null
        return try ChildProcess.spawn(
            arguments, environment: environment, stdin: stdinFD, stdout: stdout,
            stderr: .file(stderrPath))
    }
}
