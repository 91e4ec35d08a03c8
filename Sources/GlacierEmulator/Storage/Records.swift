import Foundation

// The records persisted as JSON under the data directory. Times are on the service clock
// (wall clock plus the job-clock offset), so advancing the job clock moves every timestamp alike.

struct VaultRecord: Codable, Sendable {
    var name: String
    var creationDate: Date
}

struct ArchiveRecord: Codable, Sendable {
    var id: String
    var description: String
    var size: Int64
    var treeHash: String
    var creationDate: Date
    /// Set when the archive is deleted; its data stays for jobs that still need it.
    var deletedAt: Date?
}

struct UploadRecord: Codable, Sendable {
    var id: String
    var description: String?
    var partSize: Int64
    var creationDate: Date
}

struct PartRecord: Codable, Sendable {
    var start: Int64
    var length: Int64
    var treeHash: String
}

struct JobRecord: Codable, Sendable {
    enum Kind: String, Codable, Sendable { case archive, inventory }

    var id: String
    var kind: Kind
    var description: String?
    var snsTopic: String?
    var creationDate: Date
    var completesAt: Date
    /// Order of creation, for stable listings.
    var sequence: Int

    // Archive retrievals.
    var archiveId: String?
    var tier: String?
    var rangeFirst: Int64?
    var rangeLast: Int64?
    var archiveSize: Int64?
    var archiveTreeHash: String?
    var archiveDescription: String?
    /// The tree hash of the retrieved bytes; nil when the range is not tree-hash aligned.
    var retrievedTreeHash: String?

    // Inventory retrievals.
    var format: String?
    /// The output file, relative to the data directory.
    var outputFile: String?
    var outputSize: Int64?

    var retrievalRange: ClosedRange<Int64>? {
        guard let f = rangeFirst, let l = rangeLast else { return nil }
        return f ... l
    }
}

struct ServiceState: Codable, Sendable {
    var jobClockOffset: TimeInterval
}
