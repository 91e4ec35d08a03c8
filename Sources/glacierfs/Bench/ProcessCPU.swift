import Foundation

/// CPU time a process has used, from /proc/PID/stat: to give each measurement its CPU-seconds
/// per GiB.
enum ProcessCPU {
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

    /// Runs `body` and returns its result with the CPU-seconds `pid` spent meanwhile.
    static func measure<T>(_ pid: Int32?, _ body: () throws -> T) rethrows -> (T, Double?) {
        let before = pid.flatMap(seconds(of:))
        let result = try body()
        let after = pid.flatMap(seconds(of:))
        return (result, before.flatMap { b in after.map { $0 - b } })
    }
}
