import GlacierModel

/// Which directory entry names could possibly exist, so probes for names that never can
/// (`.Trash`, `desktop.ini` in a jobs directory, `..`, very long names) are answered without a
/// network call.
enum NameRules {
    static let jobsDirectoryName = "jobs"
    static let outputFileName = "output"
    static let jobDescriptionFileName = "job.json"
    static let maximumNameBytes = 255

    static func couldBeVault(_ name: String) -> Bool {
        name != "." && name != ".." && name.utf8.count <= maximumNameBytes && GlacierProtocol.isValidVaultName(name)
    }

    static func couldBeJobId(_ name: String) -> Bool {
        name.utf8.count <= maximumNameBytes && GlacierProtocol.isPlausibleId(name)
    }
}
