import Foundation

/// What the cache records about one output in its `meta.json`: enough to serve it, and to build
/// the filesystem layout, with the service unreachable.
public struct OutputDescriptor: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case archive, inventory }

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

    public init(key: OutputKey, size: Int64, kind: Kind, expectedTreeHash: String?, contentType: String?,
                archiveDescription: String?, archiveId: String?, jobDescriptionJSON: String?) {
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
}
