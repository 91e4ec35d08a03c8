/// What one archive's description says about the file it holds.
public struct DecodedDescription: Sendable, Hashable {
    /// Safe path components (see `SafePath`); never empty.
    public var components: [String]
    /// The file's modification time as recorded by the tool, in seconds since 1970 (UTC).
    public var modified: Int64?
    /// The tool's compressed/encrypted flags; nil when the format records none.
    public var flags: ArchiveFlags?
    /// The archive marks a directory rather than holding a file (FastGlacier's 1-byte `…/` archives).
    public var isDirectory: Bool
    /// The decoder that produced this: `mt2`, `mt1`, `fastglacier-v1`…`fastglacier-v4`,
    /// `cloudberry`, `qnap-json`, `plain-text` or `unnamed`.
    public var decoder: String

    /// The components joined with `/`.
    public var path: String { components.joined(separator: "/") }

    public init(components: [String], modified: Int64?, flags: ArchiveFlags?, isDirectory: Bool, decoder: String) {
        self.components = components
        self.modified = modified
        self.flags = flags
        self.isDirectory = isDirectory
        self.decoder = decoder
    }
}
