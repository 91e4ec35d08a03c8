import GlacierIntegrity

/// What identifies one job output across endpoints, accounts and vaults, so two of them can never
/// share a cache entry.
public struct OutputKey: Codable, Hashable, Sendable, CustomStringConvertible {
    /// The service endpoint URL, normalised without a trailing slash.
    public var endpoint: String
    /// The account id from the vault's ARN when known, else the configured id (`-` when unknown).
    public var accountId: String
    public var vault: String
    public var jobId: String

    public init(endpoint: String, accountId: String, vault: String, jobId: String) {
        var e = endpoint
        while e.hasSuffix("/") { e.removeLast() }
        self.endpoint = e
        self.accountId = accountId
        self.vault = vault
        self.jobId = jobId
    }

    /// The entry's directory name: a hash, so no name from the service ever becomes a path.
    public var directoryName: String {
        let joined = [endpoint, accountId, vault, jobId].joined(separator: "\u{0}")
        return String(SHA256.hash(joined).hex.prefix(40))
    }

    public var description: String { "\(vault)/\(jobId) at \(endpoint) (account \(accountId))" }
}
