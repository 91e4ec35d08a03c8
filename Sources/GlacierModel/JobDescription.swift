/// What Glacier reports about a job (`GlacierJobDescription` in the API model).
public struct GlacierJobDescription: Codable, Sendable, Equatable {
    public var jobId: String
    public var jobDescription: String?
    /// `ArchiveRetrieval`, `InventoryRetrieval` or `Select`.
    public var action: String
    public var archiveId: String?
    public var vaultARN: String?
    public var creationDate: String?
    public var completed: Bool
    /// `InProgress`, `Succeeded` or `Failed`.
    public var statusCode: String
    public var statusMessage: String?
    /// The whole archive's size, even for a ranged retrieval.
    public var archiveSizeInBytes: Int64?
    public var inventorySizeInBytes: Int64?
    public var snsTopic: String?
    public var completionDate: String?
    /// The tree hash of what the job retrieved; null for inventories and unaligned ranges.
    public var sha256TreeHash: String?
    /// The tree hash of the whole archive.
    public var archiveSHA256TreeHash: String?
    public var retrievalByteRange: String?
    public var tier: String?
    public var inventoryRetrievalParameters: InventoryRetrievalJobDescription?
    public var jobOutputPath: String?

    enum CodingKeys: String, CodingKey {
        case jobId = "JobId", jobDescription = "JobDescription", action = "Action", archiveId = "ArchiveId"
        case vaultARN = "VaultARN", creationDate = "CreationDate", completed = "Completed"
        case statusCode = "StatusCode", statusMessage = "StatusMessage"
        case archiveSizeInBytes = "ArchiveSizeInBytes", inventorySizeInBytes = "InventorySizeInBytes"
        case snsTopic = "SNSTopic", completionDate = "CompletionDate", sha256TreeHash = "SHA256TreeHash"
        case archiveSHA256TreeHash = "ArchiveSHA256TreeHash", retrievalByteRange = "RetrievalByteRange"
        case tier = "Tier", inventoryRetrievalParameters = "InventoryRetrievalParameters"
        case jobOutputPath = "JobOutputPath"
    }

    public init(jobId: String, action: String, statusCode: String, completed: Bool) {
        self.jobId = jobId
        self.action = action
        self.statusCode = statusCode
        self.completed = completed
    }

    /// Encodes every field, with JSON null for absent ones, as the service does.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(jobId, forKey: .jobId)
        try c.encode(jobDescription, forKey: .jobDescription)
        try c.encode(action, forKey: .action)
        try c.encode(archiveId, forKey: .archiveId)
        try c.encode(vaultARN, forKey: .vaultARN)
        try c.encode(creationDate, forKey: .creationDate)
        try c.encode(completed, forKey: .completed)
        try c.encode(statusCode, forKey: .statusCode)
        try c.encode(statusMessage, forKey: .statusMessage)
        try c.encode(archiveSizeInBytes, forKey: .archiveSizeInBytes)
        try c.encode(inventorySizeInBytes, forKey: .inventorySizeInBytes)
        try c.encode(snsTopic, forKey: .snsTopic)
        try c.encode(completionDate, forKey: .completionDate)
        try c.encode(sha256TreeHash, forKey: .sha256TreeHash)
        try c.encode(archiveSHA256TreeHash, forKey: .archiveSHA256TreeHash)
        try c.encode(retrievalByteRange, forKey: .retrievalByteRange)
        try c.encode(tier, forKey: .tier)
        try c.encodeIfPresent(inventoryRetrievalParameters, forKey: .inventoryRetrievalParameters)
        try c.encode(jobOutputPath, forKey: .jobOutputPath)
    }
}

extension GlacierJobDescription {
    public enum Action {
        public static let archiveRetrieval = "ArchiveRetrieval"
        public static let inventoryRetrieval = "InventoryRetrieval"
        public static let select = "Select"
    }

    public enum Status {
        public static let inProgress = "InProgress"
        public static let succeeded = "Succeeded"
        public static let failed = "Failed"
    }

    public var isArchiveRetrieval: Bool { action == Action.archiveRetrieval }
    public var isInventoryRetrieval: Bool { action == Action.inventoryRetrieval }
    public var hasSucceeded: Bool { statusCode == Status.succeeded }
}

/// The inventory parameters echoed back in a job description.
public struct InventoryRetrievalJobDescription: Codable, Sendable, Equatable {
    public var format: String?
    public var startDate: String?
    public var endDate: String?
    public var limit: String?
    public var marker: String?

    enum CodingKeys: String, CodingKey {
        case format = "Format", startDate = "StartDate", endDate = "EndDate", limit = "Limit", marker = "Marker"
    }

    public init(format: String?) { self.format = format }
}
