import Foundation

/// `migrate --status`: where a migration stands, read from its database alone (no service calls).
public struct MigrationStatus: Sendable {
    public let lines: [String]

    public init(root: String) throws {
        let path = MigrationRunner.databasePath(root)
        guard FileManager.default.fileExists(atPath: path) else { throw MigrationError.noMigration(path: root) }
        let store = MigrationStore(database: try MigrationDatabase.open(path: path, readOnly: true))
        var out: [String] = []
        out.append(
            "vault:      \(try store.setting("vault") ?? "?")   tier: \(try store.setting("tier") ?? "?")   "
                + "max jobs: \(try store.setting("max_jobs") ?? "?")   max bytes/day: \((try store.setting("max_bytes_per_day")).flatMap { $0.isEmpty ? nil : $0 } ?? "no limit")"
        )
        guard try store.setting("plan.complete") == "1" else {
            let job = try store.setting("inventory.job")
            out.append("plan:       not made yet" + (job.map { "; waiting for inventory job \($0)" } ?? ""))
            lines = out
            return
        }
        out.append(
            "inventory:  \(try store.setting("inventory.date") ?? "?") (job \(try store.setting("inventory.used") ?? "?"))"
        )
        let tally = try store.tally()
        for phase in ArchivePhase.allCases {
            let t = tally[phase] ?? (0, 0)
            out.append(
                "\(phase.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)) \(t.count) archives, \(t.bytes) bytes"
            )
        }
        let jobs = try store.jobCounts()
        out.append("jobs:       \(jobs.started) started, \(jobs.reused) reused from earlier retrievals")
        let day = try store.bytesCharged(since: Date().timeIntervalSince1970 - RetrievalBudget.day)
        out.append("budget:     \(day) bytes started in the last 24 hours")
        let problems = try store.archives(in: [.failed]) + store.archives(in: [.skipped])
        for a in problems.prefix(20) {
            out.append("\(a.phase.rawValue): \(a.path ?? a.archiveId): \(a.reason ?? "")")
        }
        if problems.count > 20 {
            out.append("… and \(problems.count - 20) more in \(root)/.glacierfs/\(ManifestWriter.fileName)")
        }
        lines = out
    }
}
