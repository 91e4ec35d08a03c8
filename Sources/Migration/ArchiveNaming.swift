import Foundation
import GlacierModel

/// What an archive's description says about the file it holds.
public struct DecodedName: Sendable, Equatable {
    /// The file's path as the upload tool recorded it (relative or absolute, `/` separators), or
    /// nil when the description names no file.
    public var path: String?
    /// Which format the description was read as.
    public var decoder: String
    /// The file's modification time, when the tool recorded it.
    public var modified: Date?

    public init(path: String?, decoder: String, modified: Date? = nil) {
        self.path = path
        self.decoder = decoder
        self.modified = modified
    }
}

/// Reads file names out of archive descriptions: the same decoders the filesystem's archive view
/// uses (plugged in by the caller), so both show the same name.
public protocol ArchiveNaming: Sendable {
    func decode(description: String, archiveId: String) -> DecodedName
}

/// Reads an inventory file one archive at a time, never holding the whole list.
public protocol InventoryReading: Sendable {
    /// Calls `body` for each archive of the inventory at `path`; returns the InventoryDate.
    func forEachArchive(inFile path: String, _ body: (InventoryArchive) throws -> Void) throws -> String
}
