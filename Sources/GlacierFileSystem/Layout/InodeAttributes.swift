import Foundation

/// What `stat` shows for an inode, with how long the kernel may keep it.
public struct InodeAttributes: Sendable {
    public var inode: UInt64
    public var isDirectory: Bool
    public var size: Int64
    /// Permission bits: 0555 for directories, 0444 for files.
    public var permissions: UInt32
    public var linkCount: UInt32
    public var modified: Date
    /// ctime; `modified` when nil.
    public var changed: Date? = nil
    public var uid: UInt32
    public var gid: UInt32
    /// How long the kernel may cache these attributes and the name that led to them.
    public var cacheSeconds: Double
}
