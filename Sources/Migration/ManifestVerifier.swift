import Foundation

/// `migrate --verify`: every file the manifest lists is hashed again and compared with the tree
/// hash computed while copying and with the inventory's.
public struct ManifestVerifier: Sendable {
    public let root: String

    public init(root: String) { self.root = root }

    public struct Result: Sendable {
        public var verified = 0
        public var verifiedBytes: Int64 = 0
        /// One line per file that is missing or differs.
        public var problems: [String] = []
        public var summaryComplete: Bool?
    }

    public func verify(progress: @Sendable (Int, String) -> Void = { _, _ in }) throws -> Result {
        let path = root + "/.glacierfs/" + ManifestWriter.fileName
        guard let data = FileManager.default.contents(atPath: path) else {
            throw MigrationError.noMigration(path: root)
        }
        var result = Result()
        let decoder = JSONDecoder()
        for lineBytes in data.split(separator: 0x0a) where !lineBytes.isEmpty {
            if let summary = try? decoder.decode(ManifestWriter.Summary.self, from: Data(lineBytes)) {
                result.summaryComplete = summary.complete
                continue
            }
            let line = try decoder.decode(ManifestWriter.Line.self, from: Data(lineBytes))
            progress(result.verified, line.path)
            let file = root + "/" + line.path
            guard FileManager.default.fileExists(atPath: file) else {
                result.problems.append("missing: \(line.path) (archive \(line.archiveId))")
                continue
            }
            let computed = try DestinationFiles.treeHash(ofFile: file)
            if computed != line.computedTreeHash || computed != line.inventoryTreeHash {
                result.problems.append(
                    "differs: \(line.path) hashes to \(computed), the manifest says \(line.inventoryTreeHash)")
            } else {
                result.verified += 1
                result.verifiedBytes += line.size
            }
        }
        return result
    }
}
