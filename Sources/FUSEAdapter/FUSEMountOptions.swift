/// How to mount: where, who may see it, and the kernel-side tuning.
public struct FUSEMountOptions: Sendable {
    public var mountpoint: String
    /// Shown as the source in /proc/mounts (e.g. `glacierfs:myvault`).
    public var fsName: String = "glacierfs"
    /// Let other users see the mount. Always paired with `default_permissions`, so the kernel
    /// still enforces the 0444/0555 modes.
    public var allowOther = false
    /// Extra `-o` options given by the user, passed to libfuse as is.
    public var extraOptions: [String] = []
    public var maxThreads = 16
    /// The kernel's readahead for the mount (see `KernelSettings.raiseReadahead`).
    public var readaheadBytes = Self.defaultReadaheadBytes
    /// 8 MiB: deeper readahead made cold copies over loopback 20 % slower.
    public static let defaultReadaheadBytes = 8 << 20
    /// Where round trips are long: `cp` and `cat` ask the kernel for sequential reading
    /// (fadvise), which then makes its first readahead of a 1 MiB read 4 MiB, enough for a copy
    /// to be known as one before its head read returns (see `AccessPattern.copyingReaderBytes`);
    /// other readers' first readahead stays 2 MiB.
    public static let slowLinkReadaheadBytes = 16 << 20
    /// Requests the kernel keeps in flight to us (its default of 12 starves parallel reads).
    public var maxBackground = 96
    /// libfuse's debug tracing.
    public var debug = false

    /// The largest single read the kernel sends: one Glacier leaf.
    static let maxReadBytes = 1 << 20

    public init(mountpoint: String) { self.mountpoint = mountpoint }

    /// The `-o` list for libfuse.
    var optionString: String {
        var options = [
            "ro", "default_permissions", "fsname=\(fsName.replacingOccurrences(of: ",", with: "_"))",
            "subtype=glacierfs", "max_read=\(Self.maxReadBytes)",
        ]
        if allowOther { options.append("allow_other") }
        options += extraOptions
        return options.joined(separator: ",")
    }
}
