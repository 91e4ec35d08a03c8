import Foundation
import GRDB

/// One archive of the plan, as stored in the `archives` table.
public struct PlannedArchive: Sendable, Equatable {
    public var archiveId: String
    public var ordinal: Int64
    public var description: String
    /// The path under DIR, or nil when the archive is skipped before it has one.
    public var path: String?
    public var decoder: String
    /// What the upload tool says it did to the bytes (`compressed`, `encrypted`), if it records that.
    public var flags: String?
    public var size: Int64
    public var creationDate: String
    /// The modification time the copy gets: the one the upload tool recorded, else CreationDate.
    public var mtime: Double
    public var treeHash: String
    public var phase: ArchivePhase
    public var reason: String?
    public var jobId: String?
    public var intentAt: Double?
    public var computedTreeHash: String?
    public var copiedAt: Double?
    /// Retrieval jobs started for it (more than one after an expiry).
    public var retrievals: Int64

    public init(
        archiveId: String, ordinal: Int64, description: String, path: String?, decoder: String, size: Int64,
        creationDate: String, mtime: Double, treeHash: String, phase: ArchivePhase, reason: String? = nil
    ) {
        self.archiveId = archiveId
        self.ordinal = ordinal
        self.description = description
        self.path = path
        self.decoder = decoder
        self.size = size
        self.creationDate = creationDate
        self.mtime = mtime
        self.treeHash = treeHash
        self.phase = phase
        self.reason = reason
        self.retrievals = 0
    }

    init(row: Row) {
        archiveId = row["archive_id"]
        ordinal = row["ordinal"]
        description = row["description"]
        path = row["path"]
        decoder = row["decoder"]
        flags = row["flags"]
        size = row["size"]
        creationDate = row["creation_date"]
        mtime = row["mtime"]
        treeHash = row["tree_hash"]
        phase = ArchivePhase(rawValue: row["phase"]) ?? .failed
        reason = row["reason"]
        jobId = row["job_id"]
        intentAt = row["intent_at"]
        computedTreeHash = row["computed_tree_hash"]
        copiedAt = row["copied_at"]
        retrievals = row["retrievals"]
    }
}
