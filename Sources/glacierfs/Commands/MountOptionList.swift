/// The `-o` list of `glacierfs mount`, sorted out: the options glacierfs reads itself
/// (`allow_other`, `uid=`, `gid=`), the ones only mount(8) and systemd act on, which glacierfs
/// ignores and says so, and the rest, which go to libfuse (which refuses what it does not know).
struct MountOptionList {
    var allowOther = false
    var uid: UInt32?
    var gid: UInt32?
    /// Ignored options, as given, in order.
    var ignored: [String] = []
    /// For libfuse.
    var passThrough: [String] = []

    /// Options meant for mount(8) or systemd (the same list as mount.glacierfs), or implied:
    /// glacierfs is always read-only with default_permissions.
    static let forMountOnly: Set<String> = [
        "ro", "rw", "default_permissions", "defaults", "noauto", "auto", "_netdev", "nofail", "user", "users",
        "nouser", "owner", "group", "exec", "noexec", "suid", "nosuid", "dev", "nodev", "atime", "noatime",
        "relatime", "norelatime", "strictatime", "nostrictatime", "diratime", "nodiratime", "lazytime",
        "nolazytime", "comment",
    ]

    init() {}

    /// Sorts `-o` arguments (each a comma-separated list); throws a usage message for a bad one.
    init(_ arguments: [String]) throws(MountOptionError) {
        for option in arguments.flatMap({ $0.split(separator: ",").map(String.init) }) {
            let parts = option.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            switch parts[0] {
            case "": throw MountOptionError("-o '\(option)' has no option name")
            case "allow_other": allowOther = true
            case "uid": uid = try Self.number(parts, "uid")
            case "gid": gid = try Self.number(parts, "gid")
            case let name where Self.forMountOnly.contains(name) || name.hasPrefix("x-"): ignored.append(option)
            default: passThrough.append(option)
            }
        }
    }

    /// The warning for the ignored options, if any.
    var warning: String? {
        guard !ignored.isEmpty else { return nil }
        return "ignoring -o \(ignored.joined(separator: ",")): only mount(8) and systemd use "
            + "\(ignored.count == 1 ? "it" : "them"), and glacierfs is always read-only"
    }

    static func number(_ parts: [String], _ name: String) throws(MountOptionError) -> UInt32 {
        guard parts.count == 2, let n = UInt32(parts[1]) else { throw MountOptionError("-o \(name)= needs a number") }
        return n
    }
}

/// A `-o` option that cannot be used, with what to write instead.
struct MountOptionError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
