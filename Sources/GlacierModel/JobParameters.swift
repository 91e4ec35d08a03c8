/// The body of InitiateJob.
public struct JobParameters: Codable, Sendable, Equatable {
    /// `archive-retrieval` or `inventory-retrieval`.
    public var type: String
    public var archiveId: String?
    public var description: String?
    /// Inventory format: `JSON` (the default) or `CSV`.
    public var format: String?
    public var snsTopic: String?
    /// `S-E`, inclusive; S a multiple of 1 MiB, E+1 a multiple of 1 MiB or the archive's size.
    public var retrievalByteRange: String?
    /// `Expedited`, `Standard` or `Bulk`.
    public var tier: String?
    public var inventoryRetrievalParameters: InventoryRetrievalJobInput?

    enum CodingKeys: String, CodingKey {
        case type = "Type", archiveId = "ArchiveId", description = "Description", format = "Format"
        case snsTopic = "SNSTopic", retrievalByteRange = "RetrievalByteRange", tier = "Tier"
        case inventoryRetrievalParameters = "InventoryRetrievalParameters"
    }

    public init(
        type: String, archiveId: String? = nil, description: String? = nil, format: String? = nil,
        retrievalByteRange: String? = nil, tier: String? = nil
    ) {
        self.type = type
        self.archiveId = archiveId
        self.description = description
        self.format = format
        self.retrievalByteRange = retrievalByteRange
        self.tier = tier
    }

    public enum JobType {
        public static let archiveRetrieval = "archive-retrieval"
        public static let inventoryRetrieval = "inventory-retrieval"
    }

    public static let tiers = ["Expedited", "Standard", "Bulk"]
    public static let inventoryFormats = ["JSON", "CSV"]
}

public struct InventoryRetrievalJobInput: Codable, Sendable, Equatable {
    public var startDate: String?
    public var endDate: String?
    public var limit: String?
    public var marker: String?

    enum CodingKeys: String, CodingKey {
        case startDate = "StartDate", endDate = "EndDate", limit = "Limit", marker = "Marker"
    }
}
