import Synchronization

/// Stable inode numbers for the life of a mount. Nothing is ever renumbered, so the kernel's
/// cached inodes stay valid however listings change.
final class InodeTable: Sendable {
    static let rootInode: UInt64 = 1
    private let state = Mutex(Table())

    struct Table {
        var byKind: [InodeKind: UInt64] = [.root: InodeTable.rootInode]
        var byInode: [UInt64: InodeKind] = [InodeTable.rootInode: .root]
        var next: UInt64 = 2
    }

    func inode(for kind: InodeKind) -> UInt64 {
        state.withLock { t in
            if let ino = t.byKind[kind] { return ino }
            let ino = t.next
            t.next += 1
            t.byKind[kind] = ino
            t.byInode[ino] = kind
            return ino
        }
    }

    func kind(of inode: UInt64) -> InodeKind? { state.withLock { $0.byInode[inode] } }

}
