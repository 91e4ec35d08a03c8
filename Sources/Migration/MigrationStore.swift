import Foundation
import GRDB

/// Every read and write of the migration's state, as plain SQL. Each method is one transaction,
/// so a crash leaves either the state before it or the state after it.
public struct MigrationStore: Sendable {
    let database: MigrationDatabase
    var queue: DatabaseQueue { database.queue }

    public init(database: MigrationDatabase) { self.database = database }

    // MARK: - Settings

    public func setting(_ name: String) throws -> String? {
        try queue.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM settings WHERE name = ?", arguments: [name])
        }
    }

    public func setSettings(_ values: [String: String]) throws {
        try queue.write { db in
            for (name, value) in values {
                try db.execute(sql: "DELETE FROM settings WHERE name = ?", arguments: [name])
                try db.execute(sql: "INSERT INTO settings (name, value) VALUES (?, ?)", arguments: [name, value])
            }
        }
    }

    public func clearSettings(_ names: [String]) throws {
        try queue.write { db in
            for name in names { try db.execute(sql: "DELETE FROM settings WHERE name = ?", arguments: [name]) }
        }
    }

    // MARK: - The plan

    /// Stores the whole plan and marks it complete in one transaction: a crash while planning
    /// leaves no plan, and the next run plans again.
    public func savePlan(_ archives: [PlannedArchive], settings: [String: String]) throws {
        try queue.write { db in
            try db.execute(sql: "DELETE FROM archives")
            let statement = try db.makeStatement(
                sql: """
                    INSERT INTO archives (archive_id, ordinal, description, path, decoder, flags, size, creation_date, mtime,
                                          tree_hash, phase, reason)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            for a in archives {
                try statement.execute(arguments: [
                    a.archiveId, a.ordinal, a.description, a.path, a.decoder, a.flags, a.size,
                    a.creationDate, a.mtime, a.treeHash, a.phase.rawValue, a.reason,
                ])
            }
            for (name, value) in settings {
                try db.execute(sql: "DELETE FROM settings WHERE name = ?", arguments: [name])
                try db.execute(sql: "INSERT INTO settings (name, value) VALUES (?, ?)", arguments: [name, value])
            }
        }
    }

    public func archive(_ id: String) throws -> PlannedArchive? {
        try queue.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM archives WHERE archive_id = ?", arguments: [id]).map(
                PlannedArchive.init)
        }
    }

    public func archives(in phases: [ArchivePhase], limit: Int = Int.max) throws -> [PlannedArchive] {
        try queue.read { db in
            let marks = phases.map { _ in "?" }.joined(separator: ", ")
            return try Row.fetchAll(
                db, sql: "SELECT * FROM archives WHERE phase IN (\(marks)) ORDER BY ordinal LIMIT ?",
                arguments: StatementArguments(phases.map(\.rawValue)) + [Int64(min(limit, Int(Int64.max)))]
            )
            .map(PlannedArchive.init)
        }
    }

    public func allArchives() throws -> [PlannedArchive] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM archives ORDER BY ordinal").map(PlannedArchive.init)
        }
    }

    /// Count and bytes of the archives in each phase.
    public func tally() throws -> [ArchivePhase: (count: Int64, bytes: Int64)] {
        try queue.read { db in
            var result: [ArchivePhase: (count: Int64, bytes: Int64)] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT phase, COUNT(*) AS n, COALESCE(SUM(size), 0) AS b FROM archives GROUP BY phase")
            {
                if let phase = ArchivePhase(rawValue: row["phase"]) { result[phase] = (row["n"], row["b"]) }
            }
            return result
        }
    }

    // MARK: - Jobs

    /// Records, before InitiateJob is sent, that it is about to be: the archive is `retrieving`
    /// without a job id, and its bytes are charged to the budget. A restart that finds this looks
    /// the job up in ListJobs instead of starting another.
    public func recordIntent(archiveId: String, bytes: Int64, at serviceTime: Double) throws {
        try queue.write { db in
            let n =
                try Int64.fetchOne(
                    db, sql: "SELECT retrievals FROM archives WHERE archive_id = ?", arguments: [archiveId]) ?? 0
            try db.execute(
                sql: """
                    UPDATE archives SET phase = 'retrieving', job_id = NULL, intent_at = ?, retrievals = retrievals + 1
                    WHERE archive_id = ?
                    """, arguments: [serviceTime, archiveId])
            try db.execute(
                sql: "INSERT INTO ledger (entry_id, archive_id, job_id, bytes, started_at) VALUES (?, ?, NULL, ?, ?)",
                arguments: ["\(archiveId)#\(n + 1)", archiveId, bytes, serviceTime])
        }
    }

    /// The job now exists (started by us, or found and reused): the archive waits for it.
    public func attachJob(
        archiveId: String, jobId: String, tier: String?, initiatedAt: Double?, reused: Bool,
        completedAt: Double?
    ) throws {
        try queue.write { db in
            try db.execute(sql: "DELETE FROM jobs WHERE job_id = ?", arguments: [jobId])
            try db.execute(
                sql: """
                    INSERT INTO jobs (job_id, archive_id, tier, initiated_at, completed_at, status, reused)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    jobId, archiveId, tier, initiatedAt, completedAt,
                    completedAt == nil ? "InProgress" : "Succeeded", reused ? 1 : 0,
                ])
            let phase = completedAt == nil ? ArchivePhase.retrieving : .ready
            try db.execute(
                sql: "UPDATE archives SET phase = ?, job_id = ?, intent_at = NULL WHERE archive_id = ?",
                arguments: [phase.rawValue, jobId, archiveId])
            if !reused {
                try db.execute(
                    sql: """
                        UPDATE ledger SET job_id = ? WHERE archive_id = ? AND job_id IS NULL
                        """, arguments: [jobId, archiveId])
            } else {
                // A reused job costs nothing more: an intent's charge, if any, is given back.
                try db.execute(
                    sql: "DELETE FROM ledger WHERE archive_id = ? AND job_id IS NULL", arguments: [archiveId])
            }
        }
    }

    /// InitiateJob certainly did not start a job (the service refused it, or ListJobs shows none):
    /// the archive is planned again and its charge is given back.
    public func dropIntent(archiveId: String) throws {
        try queue.write { db in
            try db.execute(
                sql:
                    "UPDATE archives SET phase = 'planned', job_id = NULL, intent_at = NULL, retrievals = MAX(retrievals - 1, 0) WHERE archive_id = ? AND phase = 'retrieving'",
                arguments: [archiveId])
            try db.execute(sql: "DELETE FROM ledger WHERE archive_id = ? AND job_id IS NULL", arguments: [archiveId])
        }
    }

    public func markReady(archiveId: String, jobId: String, completedAt: Double?) throws {
        try queue.write { db in
            try db.execute(
                sql: "UPDATE jobs SET status = 'Succeeded', completed_at = ? WHERE job_id = ?",
                arguments: [completedAt, jobId])
            try db.execute(
                sql: "UPDATE archives SET phase = 'ready' WHERE archive_id = ? AND phase = 'retrieving'",
                arguments: [archiveId])
        }
    }

    /// The job's output is gone (expired) or the job failed: retrieve the archive again.
    public func jobLost(archiveId: String, jobId: String, status: String, at time: Double) throws {
        try queue.write { db in
            try db.execute(
                sql: "UPDATE jobs SET status = ?, expired_at = ? WHERE job_id = ?", arguments: [status, time, jobId])
            try db.execute(
                sql: """
                    UPDATE archives SET phase = 'planned', job_id = NULL
                    WHERE archive_id = ? AND job_id = ? AND phase IN ('retrieving', 'ready', 'copying')
                    """, arguments: [archiveId, jobId])
        }
    }

    public func setPhase(_ archiveId: String, _ phase: ArchivePhase, reason: String? = nil) throws {
        try queue.write { db in
            try db.execute(
                sql: "UPDATE archives SET phase = ?, reason = ? WHERE archive_id = ?",
                arguments: [phase.rawValue, reason, archiveId])
        }
    }

    /// Many archives copied, in one transaction.
    public func markCopied(_ archives: [(archiveId: String, computedTreeHash: String)], at time: Double) throws {
        try queue.write { db in
            let statement = try db.makeStatement(
                sql: """
                    UPDATE archives SET phase = 'copied', computed_tree_hash = ?, copied_at = ?, reason = NULL
                    WHERE archive_id = ?
                    """)
            for a in archives { try statement.execute(arguments: [a.computedTreeHash, time, a.archiveId]) }
        }
    }

    public func markCopied(archiveId: String, computedTreeHash: String, at time: Double) throws {
        try queue.write { db in
            try db.execute(
                sql: """
                    UPDATE archives SET phase = 'copied', computed_tree_hash = ?, copied_at = ?, reason = NULL
                    WHERE archive_id = ?
                    """, arguments: [computedTreeHash, time, archiveId])
        }
    }

    public func job(_ jobId: String) throws -> (tier: String?, reused: Bool)? {
        try queue.read { db in
            try Row.fetchOne(db, sql: "SELECT tier, reused FROM jobs WHERE job_id = ?", arguments: [jobId])
                .map { ($0["tier"], ($0["reused"] as Int64) != 0) }
        }
    }

    /// When the oldest job still in progress was started (service time), if any is.
    public func oldestJobInProgress() throws -> Double? {
        try queue.read { db in
            try Double.fetchOne(
                db,
                sql: """
                    SELECT MIN(j.initiated_at) FROM jobs j JOIN archives a ON a.job_id = j.job_id
                    WHERE a.phase = 'retrieving'
                    """)
        }
    }

    // MARK: - Budget

    /// Bytes charged since `time` (service time).
    public func bytesCharged(since time: Double) throws -> Int64 {
        try queue.read { db in
            try Int64.fetchOne(
                db, sql: "SELECT COALESCE(SUM(bytes), 0) FROM ledger WHERE started_at > ?", arguments: [time]) ?? 0
        }
    }

    /// Every charge, oldest first: (bytes, service time).
    public func ledger() throws -> [(bytes: Int64, at: Double)] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT bytes, started_at FROM ledger ORDER BY started_at").map {
                ($0["bytes"], $0["started_at"])
            }
        }
    }

    public func jobCounts() throws -> (started: Int64, reused: Int64) {
        try queue.read { db in
            let started = try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM jobs WHERE reused = 0") ?? 0
            let reused = try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM jobs WHERE reused = 1") ?? 0
            return (started, reused)
        }
    }
}
