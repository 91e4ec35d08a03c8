import Foundation
import GlacierIntegrity
import GlacierModel

/// How an output is checked before its bytes are served.
public enum VerificationMode: Sendable, Equatable {
    /// Every range is a tree node checked against the service's tree hash.
    case treeHash
    /// Status, Content-Range and length checked, and the whole output parsed as JSON or CSV.
    case inventory
    /// An unaligned retrieval the user accepted unverified (`--allow-unverified`).
    case sizeOnly(reason: String)
    /// An unaligned retrieval, refused: reads fail with EIO.
    case refused(reason: String)
}

/// What a job description means for the file that shows its output.
public struct JobOutputShape: Sendable, Equatable {
    public var size: Int64
    public var verification: VerificationMode
    public var isInventory: Bool
    /// `JSON` or `CSV`, for inventories.
    public var inventoryFormat: String?
    /// The tree hash the whole output must have, when the service gives one.
    public var expectedTreeHash: SHA256Digest?

    /// The largest archive Glacier stores (40 TiB); anything larger is a hostile or broken answer.
    public static let maximumSize: Int64 = 40 << 40

    /// Interprets a Succeeded job. Throws a reason (shown in job.json and the log) when the
    /// description cannot describe real output: negative or absurd sizes, a malformed range.
    public static func of(_ job: GlacierJobDescription, allowUnverified: Bool) throws(JobShapeError) -> JobOutputShape {
        let expected = job.sha256TreeHash.flatMap { SHA256Digest(hex: $0) }
        if job.sha256TreeHash != nil && expected == nil {
            throw JobShapeError("SHA256TreeHash '\(job.sha256TreeHash!.prefix(80))' is not a SHA-256 hex digest")
        }
        if job.isInventoryRetrieval {
            guard let size = job.inventorySizeInBytes else { throw JobShapeError("InventorySizeInBytes is missing") }
            try checkSize(size, field: "InventorySizeInBytes")
            return JobOutputShape(
                size: size, verification: .inventory, isInventory: true,
                inventoryFormat: job.inventoryRetrievalParameters?.format ?? "JSON", expectedTreeHash: nil)
        }
        guard job.isArchiveRetrieval else { throw JobShapeError("the action '\(job.action)' has no file output") }
        guard let archiveSize = job.archiveSizeInBytes else { throw JobShapeError("ArchiveSizeInBytes is missing") }
        try checkSize(archiveSize, field: "ArchiveSizeInBytes")
        var retrieved = 0 ..< archiveSize
        if let text = job.retrievalByteRange {
            guard let range = InclusiveByteRange(text), range.last < archiveSize else {
                throw JobShapeError(
                    "RetrievalByteRange '\(text.prefix(80))' is not a range inside the \(archiveSize)-byte archive")
            }
            retrieved = range.halfOpen
        }
        let size = retrieved.upperBound - retrieved.lowerBound
        let wholeArchive = retrieved == 0 ..< archiveSize
        let aligned = wholeArchive || TreeGeometry(size: archiveSize).isTreeHashAligned(retrieved)
        let mode: VerificationMode
        if aligned {
            mode = .treeHash
        } else {
            let reason =
                "the retrieval range \(job.retrievalByteRange ?? "") is not tree-hash aligned, so Glacier "
                + "sends no checksum for this output"
            mode = allowUnverified ? .sizeOnly(reason: reason) : .refused(reason: reason)
        }
        return JobOutputShape(
            size: size, verification: mode, isInventory: false, inventoryFormat: nil,
            expectedTreeHash: aligned ? expected : nil)
    }

    static func checkSize(_ size: Int64, field: String) throws(JobShapeError) {
        guard size >= 0 else { throw JobShapeError("\(field) is negative (\(size))") }
        guard size <= maximumSize else { throw JobShapeError("\(field) (\(size)) is larger than any Glacier archive") }
    }
}

/// Why a job description cannot become an output file.
public struct JobShapeError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}
