/// What an upload tool recorded about how it transformed the file before upload. When either is
/// set, the archive's bytes are not the plain file.
public struct ArchiveFlags: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let compressed = ArchiveFlags(rawValue: 1)
    public static let encrypted = ArchiveFlags(rawValue: 2)

    /// `compressed,encrypted`, `compressed`, `encrypted` or `none`, for xattrs and manifests.
    public var label: String {
        var parts: [String] = []
        if contains(.compressed) { parts.append("compressed") }
        if contains(.encrypted) { parts.append("encrypted") }
        return parts.isEmpty ? "none" : parts.joined(separator: ",")
    }
}
