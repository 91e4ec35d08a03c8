import Foundation

/// Checks made before mounting, so a mistake is reported at once with what to do.
enum MountPreflight {
    /// The mountpoint as an absolute path, after checking it exists, is an empty directory and
    /// is not mounted already.
    static func checkMountpoint(_ path: String) throws -> String {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        var isDirectory: ObjCBool = false
        if let mounted = mountEntry(at: absolute) {
            throw UserFacingError(
                "\(absolute) is already a mount point (\(mounted)). Unmount it first with "
                    + "`glacierfs unmount \(absolute)`.", exitCode: GlacierExit.mountpoint)
        }
        guard FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory) else {
            throw UserFacingError(
                "the mountpoint \(absolute) does not exist. Create it with `mkdir -p \(absolute)`.",
                exitCode: GlacierExit.mountpoint)
        }
        guard isDirectory.boolValue else {
            throw UserFacingError("the mountpoint \(absolute) is not a directory.", exitCode: GlacierExit.mountpoint)
        }
        let contents: [String]
        do { contents = try FileManager.default.contentsOfDirectory(atPath: absolute) } catch {
            throw UserFacingError(
                "cannot read the mountpoint \(absolute): \(error.localizedDescription)",
                exitCode: GlacierExit.mountpoint)
        }
        guard contents.isEmpty else {
            throw UserFacingError(
                "the mountpoint \(absolute) is not empty (it holds \(contents.count) "
                    + "\(contents.count == 1 ? "entry" : "entries"), e.g. '\(contents.sorted()[0])'). Mount on an empty directory so nothing is hidden.",
                exitCode: GlacierExit.mountpoint)
        }
        return absolute
    }

    /// /dev/fuse and fusermount3 must both be there.
    static func checkFUSE() throws {
        if access("/dev/fuse", F_OK) != 0 {
            throw UserFacingError(
                "/dev/fuse is missing: install FUSE 3 (`sudo apt install fuse3`) and load the "
                    + "kernel module (`sudo modprobe fuse`). In a container, run it with --device /dev/fuse.",
                exitCode: GlacierExit.fuseUnavailable)
        }
        if findExecutable("fusermount3") == nil {
            throw UserFacingError(
                "fusermount3 is missing: install the fuse3 package (`sudo apt install fuse3`).",
                exitCode: GlacierExit.fuseUnavailable)
        }
    }

    static func findExecutable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let dirs = path.split(separator: ":").map(String.init) + ["/usr/bin", "/bin", "/usr/sbin", "/sbin"]
        return dirs.map { "\($0)/\(name)" }.first { access($0, X_OK) == 0 }
    }

    /// The mount at exactly `path` from /proc/self/mountinfo, described, or nil.
    static func mountEntry(at path: String) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 9, unescape(fields[4]) == path else { continue }
            let dash = fields.firstIndex(of: "-") ?? fields.count - 3
            let type = fields.count > dash + 1 ? fields[dash + 1] : "?"
            let source = fields.count > dash + 2 ? fields[dash + 2] : "?"
            return "\(source), type \(type)"
        }
        return nil
    }

    /// mountinfo escapes space, tab, newline and backslash as octal.
    static func unescape(_ field: Substring) -> String {
        var out = ""
        var i = field.startIndex
        while i < field.endIndex {
            if field[i] == "\\", let end = field.index(i, offsetBy: 4, limitedBy: field.endIndex),
                let code = UInt8(field[field.index(after: i) ..< end], radix: 8)
            {
                out.append(Character(UnicodeScalar(code)))
                i = end
            } else {
                out.append(field[i])
                i = field.index(after: i)
            }
        }
        return out
    }
}
