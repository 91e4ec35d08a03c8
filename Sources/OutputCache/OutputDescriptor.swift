import Foundation
import GlacierModel

/// What the cache records about one output in its `meta.json`: enough to serve it, and to build
/// the filesystem layout, with the service unreachable.
public struct OutputDescriptor: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        /// Archive output over tree nodes, each verified against the service's tree hash.
        case archive
        /// Inventory output: no checksum exists; downloaded whole and parsed before it is served.
        case inventory
        /// Archive output the service sends no checksum for (an unaligned retrieval range),
        /// cached by a mount with `--allow-unverified`; every other mount refuses it.
        case unverified
    }

    public var key: OutputKey
    public var size: Int64
    public var kind: Kind
    /// The job's SHA256TreeHash: what the root of all leaves must equal (nil when the service
    /// gives none, e.g. inventories and unaligned ranges).
    public var expectedTreeHash: String?
    public var contentType: String?
    public var archiveDescription: String?
    public var archiveId: String?
    /// The job description as the service sent it, for `job.json` and offline listings.
    public var jobDescriptionJSON: String?
    /// When the cache last served or stored a byte of this output.
    public var lastAccess: Date
    /// The result of comparing the root of all cached leaves with `expectedTreeHash`.
    public var wholeOutputCheck: WholeOutputCheck?

    public init(
        key: OutputKey, size: Int64, kind: Kind, expectedTreeHash: String?, contentType: String?,
        archiveDescription: String?, archiveId: String?, jobDescriptionJSON: String?
    ) {
        self.key = key
        self.size = size
        self.kind = kind
        self.expectedTreeHash = expectedTreeHash
        self.contentType = contentType
        self.archiveDescription = archiveDescription
        self.archiveId = archiveId
        self.jobDescriptionJSON = jobDescriptionJSON
        self.lastAccess = Date()
    }

    /// The descriptor of a job's output. `kind` and `expectedTreeHash` say how it is verified.
    public static func forJob(
        _ job: GlacierJobDescription, key: OutputKey, size: Int64, kind: Kind,
        expectedTreeHash: String?
    ) -> OutputDescriptor {
        let contentType: String? =
            switch kind {
            case .inventory: job.inventoryRetrievalParameters?.format == "CSV" ? "text/csv" : "application/json"
            case .archive, .unverified: nil  // known from GetJobOutput's headers
            }
        return OutputDescriptor(
            key: key, size: size, kind: kind, expectedTreeHash: expectedTreeHash,
            contentType: contentType, archiveDescription: nil, archiveId: job.archiveId,
            jobDescriptionJSON: (try? JSONEncoder().encode(job)).map { String(decoding: $0, as: UTF8.self) })
    }

    /// Whether two descriptors describe the same bytes (so cached leaves stay valid).
    func describesSameBytes(as other: OutputDescriptor) -> Bool {
        key == other.key && size == other.size && kind == other.kind && expectedTreeHash == other.expectedTreeHash
    }
}

public struct WholeOutputCheck: Codable, Sendable, Equatable {
    public enum Result: String, Codable, Sendable { case matched, mismatched }
    public var result: Result
    public var computedRoot: String
    public var checkedAt: Date

    public init(result: Result, computedRoot: String, checkedAt: Date) {
        self.result = result
        self.computedRoot = computedRoot
        self.checkedAt = checkedAt
    }
}
