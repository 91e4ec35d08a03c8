/// An inventory-retrieval job's JSON output.
public struct InventoryDocument: Codable, Sendable, Equatable {
    public var vaultARN: String
    public var inventoryDate: String
    public var archiveList: [InventoryArchive]

    enum CodingKeys: String, CodingKey {
        case vaultARN = "VaultARN", inventoryDate = "InventoryDate", archiveList = "ArchiveList"
    }

    public init(vaultARN: String, inventoryDate: String, archiveList: [InventoryArchive]) {
        self.vaultARN = vaultARN
        self.inventoryDate = inventoryDate
        self.archiveList = archiveList
    }

    /// The CSV form as Amazon writes it: a header row, then one row per archive with only the
    /// description quoted, its `"` escaped as `\"` and nothing else escaped (vsespb/mt-aws-glacier
    /// `t/unit/glacier/inventory_csv.t` records this from real inventories; it is not RFC 4180).
    public func csv() -> String {
        var out = "ArchiveId,ArchiveDescription,CreationDate,Size,SHA256TreeHash\n"
        for a in archiveList {
            out += "\(a.archiveId),\(Self.csvDescription(a.archiveDescription)),\(a.creationDate),\(a.size),"
            out += "\(a.sha256TreeHash)\n"
        }
        return out
    }

    static func csvDescription(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

public struct InventoryArchive: Codable, Sendable, Equatable {
    public var archiveId: String
    public var archiveDescription: String
    public var creationDate: String
    public var size: Int64
    public var sha256TreeHash: String

    enum CodingKeys: String, CodingKey {
        case archiveId = "ArchiveId", archiveDescription = "ArchiveDescription", creationDate = "CreationDate"
        case size = "Size", sha256TreeHash = "SHA256TreeHash"
    }

    public init(
        archiveId: String, archiveDescription: String, creationDate: String, size: Int64,
        sha256TreeHash: String
    ) {
        self.archiveId = archiveId
        self.archiveDescription = archiveDescription
        self.creationDate = creationDate
        self.size = size
        self.sha256TreeHash = sha256TreeHash
    }
}
