/// What an inode stands for.
public enum InodeKind: Hashable, Sendable {
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
