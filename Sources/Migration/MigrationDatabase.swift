// Migration: copies a whole vault out to a directory. Every decision it makes (the plan, each
// archive's phase, the jobs it started and the bytes it spent) is kept in SQLite first, so that
// running the same command again after any crash carries on without paying or copying twice.
import Foundation
import GRDB

/// The migration's SQLite database in `DIR/.glacierfs/`, with its schema. The schema is plain SQL
/// (TEXT, BIGINT, DOUBLE PRECISION; no SQLite-only features) so it can move to PostgreSQL.
public struct MigrationDatabase: Sendable {
    public let queue: DatabaseQueue
    public static let fileName = "migration.sqlite"

    /// Opens (creating if needed) the database at `path`; nil for a throwaway in-memory one.
    /// `readOnly` opens an existing one only to look (for --status, or a test beside a running
    /// migration): it takes no write lock and changes nothing.
    public static func open(path: String?, readOnly: Bool = false) throws -> MigrationDatabase {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        if readOnly, let path {
            configuration.readonly = true
            return MigrationDatabase(queue: try DatabaseQueue(path: path, configuration: configuration))
        }
        // WAL without an fsync per commit: a kill -9 loses nothing; a power cut may lose the last
        // commits, which is safe too, since every restart reconciles with ListJobs and the files.
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        let queue: DatabaseQueue
        if let path {
            queue = try DatabaseQueue(path: path, configuration: configuration)
            try queue.writeWithoutTransaction { db in _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") }
        } else {
            queue = try DatabaseQueue(configuration: configuration)
        }
        try schema.migrate(queue)
        return MigrationDatabase(queue: queue)
    }

    static var schema: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE settings (
                        name TEXT PRIMARY KEY,
                        value TEXT NOT NULL
                    );
                    CREATE TABLE archives (
                        archive_id TEXT PRIMARY KEY,
                        ordinal BIGINT NOT NULL,
                        description TEXT NOT NULL,
                        path TEXT,
                        decoder TEXT NOT NULL,
                        flags TEXT,
                        size BIGINT NOT NULL,
                        creation_date TEXT NOT NULL,
                        mtime DOUBLE PRECISION NOT NULL,
                        tree_hash TEXT NOT NULL,
                        phase TEXT NOT NULL,
                        reason TEXT,
                        job_id TEXT,
                        intent_at DOUBLE PRECISION,
                        computed_tree_hash TEXT,
                        copied_at DOUBLE PRECISION,
                        retrievals BIGINT NOT NULL DEFAULT 0
                    );
                    CREATE INDEX archives_by_phase ON archives (phase, ordinal);
                    CREATE TABLE jobs (
                        job_id TEXT PRIMARY KEY,
                        archive_id TEXT NOT NULL,
                        tier TEXT,
                        initiated_at DOUBLE PRECISION,
                        completed_at DOUBLE PRECISION,
                        expired_at DOUBLE PRECISION,
                        status TEXT NOT NULL,
                        reused BIGINT NOT NULL DEFAULT 0
                    );
                    CREATE INDEX jobs_by_archive ON jobs (archive_id);
                    CREATE TABLE ledger (
                        entry_id TEXT PRIMARY KEY,
                        archive_id TEXT NOT NULL,
                        job_id TEXT,
                        bytes BIGINT NOT NULL,
                        started_at DOUBLE PRECISION NOT NULL
                    );
                    CREATE INDEX ledger_by_time ON ledger (started_at);
                    """)
        }
        return migrator
    }
}
