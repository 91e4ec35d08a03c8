/// DescribeVault's answer, and one entry of ListVaults.
public struct DescribeVaultOutput: Codable, Sendable, Equatable {
    public var vaultARN: String?
    public var vaultName: String
    public var creationDate: String?
    public var lastInventoryDate: String?
    public var numberOfArchives: Int64?
    public var sizeInBytes: Int64?

    enum CodingKeys: String, CodingKey {
        case vaultARN = "VaultARN", vaultName = "VaultName", creationDate = "CreationDate"
        case lastInventoryDate = "LastInventoryDate", numberOfArchives = "NumberOfArchives"
        case sizeInBytes = "SizeInBytes"
    }

    public init(
        vaultARN: String?, vaultName: String, creationDate: String?, lastInventoryDate: String?,
        numberOfArchives: Int64?, sizeInBytes: Int64?
    ) {
        self.vaultARN = vaultARN
        self.vaultName = vaultName
        self.creationDate = creationDate
        self.lastInventoryDate = lastInventoryDate
        self.numberOfArchives = numberOfArchives
        self.sizeInBytes = sizeInBytes
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(vaultARN, forKey: .vaultARN)
        try c.encode(vaultName, forKey: .vaultName)
        try c.encode(creationDate, forKey: .creationDate)
        try c.encode(lastInventoryDate, forKey: .lastInventoryDate)
        try c.encode(numberOfArchives, forKey: .numberOfArchives)
        try c.encode(sizeInBytes, forKey: .sizeInBytes)
    }

    /// The account id inside the ARN (`arn:aws:glacier:REGION:ACCOUNT:vaults/NAME`).
    public var accountIdFromARN: String? {
        guard let arn = vaultARN else { return nil }
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
        return parts.count >= 6 && !parts[4].isEmpty ? String(parts[4]) : nil
    }
}

public struct ListVaultsOutput: Codable, Sendable, Equatable {
    public var vaultList: [DescribeVaultOutput]
    public var marker: String?

    enum CodingKeys: String, CodingKey { case vaultList = "VaultList", marker = "Marker" }

    public init(vaultList: [DescribeVaultOutput], marker: String?) {
        self.vaultList = vaultList
        self.marker = marker
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(vaultList, forKey: .vaultList)
        try c.encode(marker, forKey: .marker)
    }
}

public struct ListJobsOutput: Codable, Sendable, Equatable {
    public var jobList: [GlacierJobDescription]
    public var marker: String?

    enum CodingKeys: String, CodingKey { case jobList = "JobList", marker = "Marker" }

    public init(jobList: [GlacierJobDescription], marker: String?) {
        self.jobList = jobList
        self.marker = marker
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(jobList, forKey: .jobList)
        try c.encode(marker, forKey: .marker)
    }
}
