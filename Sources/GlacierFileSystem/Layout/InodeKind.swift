/// What an inode stands for.
public enum InodeKind: Hashable, Sendable {
    case root
    case vault(String)
    case jobsDirectory(vault: String)
    case jobDirectory(vault: String, job: String)
    case output(vault: String, job: String)
    case jobDescription(vault: String, job: String)

    var isDirectory: Bool {
        switch self {
        case .root, .vault, .jobsDirectory, .jobDirectory: true
        case .output, .jobDescription: false
        }
    }
}
