import Foundation

/// What a process has used, from /proc: its CPU time (for each measurement's CPU-seconds per
/// GiB) and its memory.
enum ProcessUsage {
    /// User plus system seconds of `pid` so far, or nil if it cannot be read.
    static func seconds(of pid: Int32) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        // After "pid (comm)": field 3 is the state; utime and stime are fields 14 and 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// A `kB` field of /proc/PID/status (`VmRSS`, `VmHWM`, `RssAnon`, …), in KiB, or nil.
    static func statusKibibytes(_ field: String, of pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") })
        else { return nil }
        return Int(line.split(separator: " ").dropFirst().first ?? "")
    }

    /// Runs `body` and returns its result with the CPU-seconds `pid` spent meanwhile.
    static func measure<T>(_ pid: Int32?, _ body: () throws -> T) rethrows -> (T, Double?) {
        let before = pid.flatMap(seconds(of:))
        let result = try body()
        let after = pid.flatMap(seconds(of:))
        return (result, before.flatMap { b in after.map { $0 - b } })
    }
}
