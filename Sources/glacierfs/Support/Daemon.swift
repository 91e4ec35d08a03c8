import Foundation

/// Starts the mount daemon as a child process in its own session, and waits for it to report
/// that the filesystem is mounted. Re-executing (rather than forking) keeps every thread the
/// daemon needs (libcurl's, the concurrency pool's) alive in it.
enum Daemon {
    static let readyDescriptor: Int32 = 3

    /// Starts this executable with `arguments`, stdin from /dev/null, stdout and stderr to
    /// `logFile`, and the write end of a pipe as fd 3. Returns its pid and the pipe's read end.
    static func spawn(arguments: [String], logFile: String) throws -> (pid: pid_t, ready: Int32) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw UserFacingError("pipe: \(String(cString: strerror(errno)))") }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        defer { close(fds[1]) }
        do {
            let pid = try ChildProcesses.spawn(
                ChildProcesses.selfExecutable, arguments,
                environment: ProcessInfo.processInfo.environment, logFile: logFile,
                passing: fds[1])
            return (pid, fds[0])
        } catch {
            close(fds[0])
            throw error
        }
    }

    enum Outcome {
        case ready(String)
        case failed(String)
    }

    /// Reads the daemon's one-line report: `ready ...` or `error ...`. If it exits without one,
    /// the log's last lines explain why.
    static func waitForReport(_ fd: Int32, pid: pid_t, logFile: String, timeoutSeconds: Int32) -> Outcome {
        defer { close(fd) }
        var text = [UInt8]()
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let deadline = Date().addingTimeInterval(Double(timeoutSeconds))
        while Date() < deadline {
            let r = poll(&poller, 1, 500)
            if r < 0 && errno == EINTR { continue }
            if r > 0 {
                var chunk = [UInt8](repeating: 0, count: 4096)
                let n = read(fd, &chunk, chunk.count)
                if n > 0 {
                    text += chunk[0 ..< n]
                    if text.contains(UInt8(ascii: "\n")) { break } else { continue }
                }
                break  // EOF: the daemon exited or closed the pipe
            }
        }
        let line = String(decoding: text, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
        if line.hasPrefix("ready") {
            return .ready(String(line.dropFirst("ready".count)).trimmingCharacters(in: .whitespaces))
        }
        let tail =
            (try? String(contentsOfFile: logFile, encoding: .utf8))?.split(separator: "\n").suffix(5)
            .joined(separator: "\n") ?? ""
        if line.hasPrefix("error ") {
            // libfuse prints its own reasons (an unknown -o option, say) to the log only.
            return .failed(
                String(line.dropFirst("error ".count))
                    + (tail.isEmpty ? "" : "\nThe daemon's log (\(logFile)) ends with:\n\(tail)"))
        }
        var status: Int32 = 0
        let exited = waitpid(pid, &status, WNOHANG) == pid
        return .failed(
            (exited
                ? "the mount daemon exited before mounting"
                : "the mount daemon did not report within \(timeoutSeconds) s")
                + (tail.isEmpty ? "" : "; its log (\(logFile)) ends with:\n\(tail)"))
    }

    /// In the daemon: report to the parent waiting on fd 3.
    static func report(_ line: String, to fd: Int32) {
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }
}

/// systemd's readiness protocol (Type=notify): one datagram to $NOTIFY_SOCKET.
enum SystemdNotify {
    static func send(_ state: String) {
        guard var path = ProcessInfo.processInfo.environment["NOTIFY_SOCKET"], !path.isEmpty else { return }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let abstract = path.hasPrefix("@")
        if abstract { path.removeFirst() }
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count + (abstract ? 1 : 0) < capacity else { return }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let offset = abstract ? 1 : 0
            for (i, b) in bytes.enumerated() { raw[i + offset] = b }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 1 : 0))
        let message = Array(state.utf8)
        withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                _ = message.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, 0, sa, length) }
            }
        }
    }
}
