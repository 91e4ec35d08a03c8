/// ListParts' answer.
public struct ListPartsOutput: Codable, Sendable, Equatable {
    public var multipartUploadId: String
    public var vaultARN: String
    public var archiveDescription: String?
    public var partSizeInBytes: Int64
    public var creationDate: String
    public var parts: [PartListElement]
    public var marker: String?

    enum CodingKeys: String, CodingKey {
        case multipartUploadId = "MultipartUploadId", vaultARN = "VaultARN"
        case archiveDescription = "ArchiveDescription", partSizeInBytes = "PartSizeInBytes"
        case creationDate = "CreationDate", parts = "Parts", marker = "Marker"
    }

    public init(
        multipartUploadId: String, vaultARN: String, archiveDescription: String?, partSizeInBytes: Int64,
        creationDate: String, parts: [PartListElement], marker: String?
    ) {
        self.multipartUploadId = multipartUploadId
        self.vaultARN = vaultARN
        self.archiveDescription = archiveDescription
        self.partSizeInBytes = partSizeInBytes
        self.creationDate = creationDate
        self.parts = parts
        self.marker = marker
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(multipartUploadId, forKey: .multipartUploadId)
        try c.encode(vaultARN, forKey: .vaultARN)
        try c.encode(archiveDescription, forKey: .archiveDescription)
        try c.encode(partSizeInBytes, forKey: .partSizeInBytes)
        try c.encode(creationDate, forKey: .creationDate)
        try c.encode(parts, forKey: .parts)
        try c.encode(marker, forKey: .marker)
    }
}

public struct PartListElement: Codable, Sendable, Equatable {
    /// `S-E`, inclusive.
    public var rangeInBytes: String
    public var sha256TreeHash: String

    enum CodingKeys: String, CodingKey { case rangeInBytes = "RangeInBytes", sha256TreeHash = "SHA256TreeHash" }

    public init(rangeInBytes: String, sha256TreeHash: String) {
        self.rangeInBytes = rangeInBytes
        self.sha256TreeHash = sha256TreeHash
    }
}

/// One entry of ListMultipartUploads.
public struct UploadListElement: Codable, Sendable, Equatable {
    public var multipartUploadId: String
    public var vaultARN: String
    public var archiveDescription: String?
    public var partSizeInBytes: Int64
    public var creationDate: String

    enum CodingKeys: String, CodingKey {
        case multipartUploadId = "MultipartUploadId", vaultARN = "VaultARN"
        case archiveDescription = "ArchiveDescription", partSizeInBytes = "PartSizeInBytes"
        case creationDate = "CreationDate"
    }

    public init(
        multipartUploadId: String, vaultARN: String, archiveDescription: String?, partSizeInBytes: Int64,
        creationDate: String
    ) {
        self.multipartUploadId = multipartUploadId
        self.vaultARN = vaultARN
        self.archiveDescription = archiveDescription
        self.partSizeInBytes = partSizeInBytes
        self.creationDate = creationDate
    }
}

public struct ListMultipartUploadsOutput: Codable, Sendable, Equatable {
    public var uploadsList: [UploadListElement]
    public var marker: String?

    enum CodingKeys: String, CodingKey { case uploadsList = "UploadsList", marker = "Marker" }

    public init(uploadsList: [UploadListElement], marker: String?) {
        self.uploadsList = uploadsList
        self.marker = marker
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(uploadsList, forKey: .uploadsList)
        try c.encode(marker, forKey: .marker)
    }
}
