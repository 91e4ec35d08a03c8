/// One directory entry, with its attributes (for READDIRPLUS).
public struct DirectoryEntry: Sendable {
    public var name: String
    public var attributes: InodeAttributes
}
