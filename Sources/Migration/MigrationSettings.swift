import Foundation

/// What the user asked for. Saved with the plan: a rerun must name the same vault, and its
/// pacing options (tier, budget, jobs in flight) replace the saved ones.
public struct MigrationSettings: Sendable, Equatable {
    public var vault: String
    public var tier: String
    /// nil: no daily cap.
    public var maxBytesPerDay: Int64?
    public var maxJobs: Int
    public var include: [String]
    public var exclude: [String]
    public var snsTopic: String?
    public var freshInventory: Bool
    /// Archive outputs copied at once.
    public var parallelCopies: Int
    /// Seconds between checks of the jobs' status.
    public var pollInterval: Double
    /// Copy every archive and keep its cache entry, rather than hand the cache's file over.
    public var keepCache: Bool

    public init(
        vault: String, tier: String = "Bulk", maxBytesPerDay: Int64? = nil, maxJobs: Int = 100,
        include: [String] = [], exclude: [String] = [], snsTopic: String? = nil, freshInventory: Bool = false,
        parallelCopies: Int = 4, pollInterval: Double = 60, keepCache: Bool = false
    ) {
        self.vault = vault
        self.tier = tier
        self.maxBytesPerDay = maxBytesPerDay
        self.maxJobs = maxJobs
        self.include = include
        self.exclude = exclude
        self.snsTopic = snsTopic
        self.freshInventory = freshInventory
        self.parallelCopies = parallelCopies
        self.pollInterval = pollInterval
        self.keepCache = keepCache
    }
}
