import Foundation
import Synchronization

/// Cleans up after a test process that died without its own cleanup (kill -9, a crash): lazily
/// unmounts every mount under the temp directories it made, and kills every process whose
/// command line names one of them (mount daemons, which run in sessions of their own and so
/// outlive their parent; tied children die on their own, see `ChildProcess`).
///
/// It is a shell started once per test process, untied, reading directory names on stdin. The
/// write end stays open in this process only, so end of file means this process is gone; then the
/// shell does the cleanup and exits. Paths are unique (a random suffix), so it only ever touches
/// what this process made.
public enum LeftoverReaper {
    /// Registers a directory whose mounts and processes must not outlive this process.
    public static func watch(_ directory: String) {
        let line = Array((directory + "\n").utf8)
        reaper.withLock { fd in
            if fd == nil { fd = start() }
            guard let fd, fd >= 0 else { return }
            _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        }
    }

    /// The write end of the reaper's stdin (-1 if it could not start).
    private static let reaper = Mutex<Int32?>(nil)

    // Ignores the terminal's signals (a Ctrl-C reaches the whole process group, and the reaper
    // must outlive the runner), reads until EOF, then unmounts and kills.
    static let script = #"""
        trap '' INT TERM HUP QUIT
        DIRS=$(cat)
        export DIRS
        awk 'BEGIN { n = split(ENVIRON["DIRS"], d, "\n") }
             { for (i = 1; i <= n; i++) if (d[i] != "" && index($5 "/", d[i] "/") == 1) { print $5; break } }' \
            /proc/self/mountinfo | sort -r | while IFS= read -r m; do
            fusermount3 -uz "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
        done
        for p in /proc/[0-9]*; do
            printf '%s %s\n' "${p#/proc/}" "$(tr '\0' ' ' < "$p/cmdline" 2>/dev/null)"
        done | awk -v self="$$" 'BEGIN { n = split(ENVIRON["DIRS"], d, "\n") }
             $1 != self { for (i = 1; i <= n; i++) if (d[i] != "" && index($0, d[i]) > 0) { print $1; break } }' |
            while read -r pid; do kill -9 "$pid" 2>/dev/null; done
        exit 0
        """#

    private static func start() -> Int32 {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return -1 }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        defer { close(fds[0]) }
        guard
            (try? ChildProcess.spawn(
                ["/bin/sh", "-c", script], environment: ["PATH": "/usr/bin:/bin:/usr/sbin:/sbin"],
                stdin: fds[0], stdout: .null, tied: false)) != nil
        else {
            close(fds[1])
            return -1
        }
        return fds[1]
    }
}
