import Foundation

/// What `--dry-run` reports: how much would be retrieved, how long the tier and the budget make
/// it take, and what it would roughly cost. Prices are estimates, not quotes.
public struct MigrationEstimate: Sendable {
    public let archives: Int
    public let bytes: Int64
    /// InitiateJob calls (one per archive with bytes).
    public let retrievalRequests: Int
    public let skipped: Int
    public let tier: String
    public let bytesPerDay: Int64?

    /// us-east-1 list prices for vault retrievals (USD), as AWS re:Post's "s3-manage-data-retrieval"
    /// article states them for Standard and Expedited, with Bulk from the S3 Glacier pricing page;
    /// taken 2026-11-30. Prices change: these are estimates.
    public enum Prices {
        public static let takenOn = "2026-11-30"
        public static let perGB: [String: Double] = ["Expedited": 0.03, "Standard": 0.01, "Bulk": 0.0025]
        public static let perThousandRequests: [String: Double] = ["Expedited": 10, "Standard": 0.05, "Bulk": 0.025]
        /// Data transfer out to the internet, first 10 TB a month.
        public static let transferOutPerGB = 0.09
    }

    public init(plan: [PlannedArchive], tier: String, bytesPerDay: Int64?) {
        let selected = plan.filter { $0.phase == .planned }
        archives = selected.count
        bytes = selected.reduce(0) { $0 + $1.size }
        retrievalRequests = selected.filter { $0.size > 0 }.count
        skipped = plan.count - selected.count
        self.tier = tier
        self.bytesPerDay = bytesPerDay
    }

    var gigabytes: Double { Double(bytes) / 1_073_741_824 }
    public var retrievalCost: Double { gigabytes * (Prices.perGB[tier] ?? 0) }
    public var requestCost: Double { Double(retrievalRequests) / 1000 * (Prices.perThousandRequests[tier] ?? 0) }
    public var transferCost: Double { gigabytes * Prices.transferOutPerGB }

    /// Days the budget alone spreads the retrievals over.
    public var budgetDays: Double? { bytesPerDay.map { Double(bytes) / Double(max(1, $0)) } }

    public var lines: [String] {
        let hours = MigrationRunner.tierHours[tier] ?? 3 ... 5
        var out = [
            "archives to copy:   \(archives) (\(skipped) skipped by filters or not copyable)",
            "bytes to retrieve:  \(bytes) (\(String(format: "%.3f", gigabytes)) GiB)",
            "retrieval requests: \(retrievalRequests) InitiateJob calls, tier \(tier)",
        ]
        if let days = budgetDays {
            out.append(
                "time:               at least \(String(format: "%.1f", days)) days at --max-bytes-per-day "
                    + "\(bytesPerDay!), plus \(Self.hours(hours)) for the last jobs to complete")
        } else {
            out.append("time:               \(Self.hours(hours)) for the jobs to complete (\(tier)), plus the download")
        }
        out.append(
            String(
                format: "estimated cost:     $%.2f retrieval + $%.2f requests + $%.2f transfer out = $%.2f (estimate; "
                    + "us-east-1 list prices taken %@, check the current ones)",
                retrievalCost, requestCost, transferCost, retrievalCost + requestCost + transferCost, Prices.takenOn))
        return out
    }

    static func hours(_ r: ClosedRange<Double>) -> String {
        r.upperBound < 1
            ? "\(Int(r.lowerBound * 60))–\(Int(r.upperBound * 60)) minutes"
            : "\(Int(r.lowerBound))–\(Int(r.upperBound)) hours"
    }
}
