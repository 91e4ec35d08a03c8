/// Why a migration stopped. Each says what to do; the command maps them to exit codes.
public enum MigrationError: Error, Sendable, CustomStringConvertible {
    /// DIR cannot be written (read-only filesystem, permissions).
    case destinationNotWritable(path: String, reason: String)
    /// The destination filled up; nothing half-written is left under a final name.
    case destinationFull(path: String)
    /// The vault's data retrieval policy refuses the retrievals.
    case policyEnforced(message: String, tier: String)
    /// DIR holds another vault's migration.
    case differentVault(saved: String, asked: String)
    /// No state in DIR (for --status and --verify).
    case noMigration(path: String)
    /// An inventory cannot be had (e.g. for --dry-run, which starts nothing).
    case noInventory(String)
    /// The inventory could not be read.
    case unreadableInventory(String)
    /// An output could not be downloaded even after the read engine's retries.
    case downloadFailed(String)

    public var description: String {
        switch self {
        case .destinationNotWritable(let path, let reason):
            return "cannot write to \(path): \(reason). Choose a writable directory with --to, or fix its permissions "
                + "or mount options; nothing was retrieved."
        case .destinationFull(let path):
            return "the destination is full (\(path)): the copy stopped cleanly and no partial file is left under a "
                + "final name. Free some space (or move DIR) and run the same command again to carry on."
        case .policyEnforced(let message, let tier):
            return "the vault's data retrieval policy refuses the retrieval (PolicyEnforcedException: \(message)). "
                + "Raise the limit of the vault's data retrieval policy (set it to 'No Retrieval Limit' or a higher "
                + "Max Retrieval Rate), or retrieve with --tier Bulk (policies apply to \(tier == "Bulk" ? "other tiers" : "Standard retrievals")) "
                + "and a lower --max-bytes-per-day; then run the same command again."
        case .differentVault(let saved, let asked):
            return "this directory holds a migration of vault '\(saved)', not '\(asked)': use another --to directory, "
                + "or migrate '\(saved)'."
        case .noMigration(let path):
            return "no migration state in \(path) (expected \(path)/.glacierfs/\(MigrationDatabase.fileName)): "
                + "start one with `glacierfs migrate VAULT --to \(path)`."
        case .noInventory(let why):
            return why
        case .downloadFailed(let why):
            return "downloading an output failed after retries: \(why). Check the network, then run the same command "
                + "again: what is copied stays copied."
        case .unreadableInventory(let why):
            return "the inventory cannot be read: \(why). Run again with --fresh-inventory to request a new one."
        }
    }
}
