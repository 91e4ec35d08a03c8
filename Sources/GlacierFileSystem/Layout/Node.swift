import Foundation
import Synchronization

/// What an inode stands for.
public enum NodeKind: Hashable, Sendable {
    case root
    case vault(String)
    case jobsDirectory(vault: String)
    case jobDirectory(vault: String, job: String)
    case output(vault: String, job: String)
    case jobDescription(vault: String, job: String)
    /// `<vault>/archives/` (entry `ArchiveIndex.rootId`) and the directories below it.
    case archiveDirectory(vault: String, entry: Int64)
    case archiveFile(vault: String, entry: Int64)

    var isDirectory: Bool {
        switch self {
        case .root, .vault, .jobsDirectory, .jobDirectory, .archiveDirectory: true
        case .output, .jobDescription, .archiveFile: false
        }
    }
}

/// Stable inode numbers for the life of a mount. Nothing is ever renumbered, so the kernel's
/// cached inodes stay valid however listings change.
final class InodeTable: Sendable {
    static let rootInode: UInt64 = 1
    private let state = Mutex(Table())

    struct Table {
        var byKind: [NodeKind: UInt64] = [.root: InodeTable.rootInode]
        var byInode: [UInt64: NodeKind] = [InodeTable.rootInode: .root]
        var next: UInt64 = 2
    }

    func inode(for kind: NodeKind) -> UInt64 {
        state.withLock { t in
            if let ino = t.byKind[kind] { return ino }
            let ino = t.next
            t.next += 1
            t.byKind[kind] = ino
            t.byInode[ino] = kind
            return ino
        }
    }

    func kind(of inode: UInt64) -> NodeKind? { state.withLock { $0.byInode[inode] } }

}

/// What `stat` shows for a node, with how long the kernel may keep it.
public struct NodeAttributes: Sendable {
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

/// One directory entry, with its attributes (for READDIRPLUS).
public struct DirectoryEntry: Sendable {
    public var name: String
    public var attributes: NodeAttributes
}

/// An errno for the FUSE boundary.
public struct FileSystemError: Error, Sendable, Equatable {
    public var errno: Int32
    public init(_ errno: Int32) { self.errno = errno }

    public static let notFound = FileSystemError(ENOENT)
    public static let readOnly = FileSystemError(EROFS)
    public static let io = FileSystemError(EIO)
    public static let noAttribute = FileSystemError(ENODATA)
    public static let isDirectory = FileSystemError(EISDIR)
    public static let notDirectory = FileSystemError(ENOTDIR)
}
