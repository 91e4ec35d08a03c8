import Foundation
import GlacierIntegrity
import GlacierModel

/// Builds job records, for InitiateJob and for synthetic jobs.
enum JobFactory {
    static func archiveJob(
        id: String, archive: StoredArchive, range: InclusiveByteRange?, tier: String,
        description: String?, snsTopic: String?, now: Date, delay: TimeInterval, sequence: Int
    )
        -> JobRecord
    {
        let a = archive.record
        let effective = range ?? (a.size > 0 ? InclusiveByteRange(first: 0, last: a.size - 1) : nil)
        var job = JobRecord(
            id: id, kind: .archive, description: description, snsTopic: snsTopic, creationDate: now,
            completesAt: now.addingTimeInterval(delay), sequence: sequence)
        job.archiveId = a.id
        job.tier = tier
        job.rangeFirst = effective?.first
        job.rangeLast = effective?.last
        job.archiveSize = a.size
        job.archiveTreeHash = a.treeHash
        job.archiveDescription = a.description
        job.retrievedTreeHash = retrievedTreeHash(archive, range: effective)
        return job
    }

    /// The tree hash of the retrieved bytes, from the stored leaves; nil unless the range is one
    /// node of the archive's tree.
    static func retrievedTreeHash(_ archive: StoredArchive, range: InclusiveByteRange?) -> String? {
        RangeTreeHash.of(range, size: archive.record.size, leaves: archive.leaves[...], whole: archive.record.treeHash)
    }

    static func inventoryJob(
        id: String, format: String, outputFile: String, outputSize: Int64, description: String?,
        snsTopic: String?, now: Date, delay: TimeInterval, sequence: Int
    ) -> JobRecord {
        var job = JobRecord(
            id: id, kind: .inventory, description: description, snsTopic: snsTopic, creationDate: now,
            completesAt: now.addingTimeInterval(delay), sequence: sequence)
        job.format = format
        job.outputFile = outputFile
        job.outputSize = outputSize
        return job
    }
}
