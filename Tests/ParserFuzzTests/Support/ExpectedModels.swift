import GlacierModel

/// The values a correct decoder must produce from members `HostileJSON` marked valid.
enum ExpectedModels {
    typealias D = [String: HostileJSON.Decoded]

    static func job(_ d: D) -> GlacierJobDescription {
        var j = GlacierJobDescription(
            jobId: d["JobId"]!.string!, action: d["Action"]!.string!,
            statusCode: d["StatusCode"]!.string!, completed: d["Completed"]!.bool!)
        j.jobDescription = d["JobDescription"]?.string
        j.archiveId = d["ArchiveId"]?.string
        j.vaultARN = d["VaultARN"]?.string
        j.creationDate = d["CreationDate"]?.string
        j.statusMessage = d["StatusMessage"]?.string
        j.archiveSizeInBytes = d["ArchiveSizeInBytes"]?.int64
        j.inventorySizeInBytes = d["InventorySizeInBytes"]?.int64
        j.snsTopic = d["SNSTopic"]?.string
        j.completionDate = d["CompletionDate"]?.string
        j.sha256TreeHash = d["SHA256TreeHash"]?.string
        j.archiveSHA256TreeHash = d["ArchiveSHA256TreeHash"]?.string
        j.retrievalByteRange = d["RetrievalByteRange"]?.string
        j.tier = d["Tier"]?.string
        j.jobOutputPath = d["JobOutputPath"]?.string
        if let p = d["InventoryRetrievalParameters"]?.object {
            var params = InventoryRetrievalJobDescription(format: p["Format"]?.string)
            params.startDate = p["StartDate"]?.string
            params.endDate = p["EndDate"]?.string
            params.limit = p["Limit"]?.string
            params.marker = p["Marker"]?.string
            j.inventoryRetrievalParameters = params
        }
        return j
    }

    static func vault(_ d: D) -> DescribeVaultOutput {
        DescribeVaultOutput(
            vaultARN: d["VaultARN"]?.string, vaultName: d["VaultName"]!.string!,
            creationDate: d["CreationDate"]?.string, lastInventoryDate: d["LastInventoryDate"]?.string,
            numberOfArchives: d["NumberOfArchives"]?.int64, sizeInBytes: d["SizeInBytes"]?.int64)
    }

    static func error(_ d: D) -> GlacierErrorBody {
        GlacierErrorBody(code: d["code"]!.string!, message: d["message"]?.string, type: d["type"]?.string)
    }
}
