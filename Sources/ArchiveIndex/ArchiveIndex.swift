import ArchiveNames
import Foundation
import GRDB
import GlacierModel

/// ArchiveIndex: a vault's archives under their decoded names, kept in SQLite beside the cache so
/// that a remount does not parse the inventory again, and so a view of hundreds of thousands of
/// archives costs the daemon little memory.
///
/// One file per vault; it records which inventory job it was built from, and is rebuilt (into a
/// temporary file renamed over it) when a newer inventory is used. Plain SQL, one table of entries:
/// directories and files, each with its parent's id; the root of the view has id `rootId`.
public final class ArchiveIndex: Sendable {
    public static let rootId: Int64 = 1
    /// 2: entry ids below the root start at a base derived from the inventory job (see `idBase`).
    static let schemaVersion = "2"

    /// Where the ids of an index start (the root is always `rootId`), from its inventory job and
    /// every archive id it lists. Indexes of different contents use different ranges, so an inode
    /// a mount handed out for an entry of an old index never names another entry of a newer one.
    static func idBase(inventoryJobId: String, archives: [InventoryArchive]) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
        func mix(_ text: String) {
            for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            hash = (hash ^ 0x0a) &* 0x100_0000_01b3
        }
        mix(inventoryJobId)
        for archive in archives { mix(archive.archiveId) }
        return Int64(hash % (1 << 30) + 1) << 32
    }

    /// Where an index came from.
    public struct Source: Sendable, Equatable {
        public var inventoryJobId: String
        public var inventoryDate: String?
        /// `JSON` or `CSV`.
        public var format: String
        public var archiveCount: Int

        public init(inventoryJobId: String, inventoryDate: String?, format: String, archiveCount: Int) {
            self.inventoryJobId = inventoryJobId
            self.inventoryDate = inventoryDate
            self.format = format
            self.archiveCount = archiveCount
        }
    }

    /// A directory or a file of the view.
    public struct Entry: Sendable, Equatable {
        public var id: Int64
        public var parent: Int64
        public var name: String
        public var isDirectory: Bool
        /// Seconds since 1970: the recorded mtime (else CreationDate); for a directory, the newest below.
        public var modified: Int64
        // Files only:
        public var size: Int64
        /// `CreationDate`, seconds since 1970.
        public var created: Int64?
        public var archiveId: String?
        /// The raw `ArchiveDescription`, exactly as stored.
        public var description: String?
        /// From the inventory.
        public var treeHash: String?
        /// The decoder that named it (`mt2`, `fastglacier-v4`, …).
        public var decoder: String?
        /// Nil when the tool recorded none.
        public var flags: ArchiveFlags?
    }

    let database: DatabaseQueue
    public let source: Source
    public let path: String

    private init(database: DatabaseQueue, source: Source, path: String) {
        self.database = database
        self.source = source
        self.path = path
    }

    /// The index at `path` when it exists, is of this schema and was built from `inventoryJobId`; nil otherwise.
    public static func open(path: String, inventoryJobId: String) -> ArchiveIndex? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        var configuration = Configuration()
        configuration.readonly = true
        guard let database = try? DatabaseQueue(path: path, configuration: configuration),
            let source = try? database.read({ try readSource($0) }),
            source.inventoryJobId == inventoryJobId
        else { return nil }
        return ArchiveIndex(database: database, source: source, path: path)
    }

    /// Builds the index of `tree` (built from `archives`) at `path`, replacing any index there.
    public static func build(
        path: String, source: Source, archives: [InventoryArchive], tree: ArchiveTree
    ) throws -> ArchiveIndex {
        try write(path: path, source: source, archives: archives, tree: tree)
        guard let index = open(path: path, inventoryJobId: source.inventoryJobId) else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: path])
        }
        return index
    }

    /// Writes the index file alone, so a caller can free the build's memory before it opens the
    /// index it keeps (an index opened amid the build's allocations pins their pages).
    public static func write(
        path: String, source: Source, archives: [InventoryArchive], tree: ArchiveTree
    ) throws {
        let temporary = path + ".building-\(getpid())"
        try? FileManager.default.removeItem(atPath: temporary)
        do {
            let database = try DatabaseQueue(path: temporary)
            try database.writeWithoutTransaction { db in
                // Crash safety comes from building aside and renaming; the build itself need not journal.
                try db.execute(sql: "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF")
                try db.inTransaction {
                    try createSchema(db)
                    try insert(tree, archives: archives, source: source, into: db)
                    // Built once, after the rows: far cheaper than 200,000 inserts in random id order.
                    try db.execute(sql: "CREATE INDEX entry_by_archive ON entry (archive_id)")
                    return .commit
                }
            }
            try database.close()
            guard rename(temporary, path) == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
            }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }

    static func createSchema(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                CREATE TABLE entry (
                    id INTEGER PRIMARY KEY,
                    parent INTEGER NOT NULL,
                    name TEXT NOT NULL,
                    is_directory INTEGER NOT NULL,
                    modified INTEGER NOT NULL,
                    size INTEGER NOT NULL,
                    created INTEGER,
                    archive_id TEXT,
                    description TEXT,
                    tree_hash TEXT,
                    decoder TEXT,
                    flags INTEGER,
                    UNIQUE (parent, name)
                );
                """)
    }

    static func insert(_ tree: ArchiveTree, archives: [InventoryArchive], source: Source, into db: Database) throws {
        let meta = try db.makeStatement(sql: "INSERT INTO meta (key, value) VALUES (?, ?)")
        for (key, value) in [
            ("schema", schemaVersion), ("inventory_job_id", source.inventoryJobId),
            ("inventory_date", source.inventoryDate ?? ""), ("format", source.format),
            ("archive_count", String(source.archiveCount)),
        ] {
            try meta.execute(arguments: [key, value])
        }
        let row = try db.makeStatement(
            sql: """
                INSERT INTO entry (id, parent, name, is_directory, modified, size, created, archive_id, description,
                                   tree_hash, decoder, flags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        // Directories come sorted, so a parent always has its id before its children need it.
        var directoryIds: [Substring: Int64] = [:]
        let base = idBase(inventoryJobId: source.inventoryJobId, archives: archives)
        var nextId = base
        for directory in tree.directories {
            let path = Substring(directory.path)
            let (parentPath, name) = split(path)
            let parent = path.isEmpty ? 0 : directoryIds[parentPath]!
            let id = path.isEmpty ? rootId : nextId
            directoryIds[path] = id
            try row.execute(arguments: [
                id, parent, String(name), 1, directory.modified, 0, nil, nil, nil, nil, nil, nil,
            ])
            if !path.isEmpty { nextId += 1 }
        }
        for file in tree.files {
            let (parentPath, name) = split(Substring(file.path))
            let archive = archives[file.archive]
            try row.execute(arguments: [
                nextId, directoryIds[parentPath]!, String(name), 0, file.modified, archive.size,
                file.created, archive.archiveId, archive.archiveDescription,
                archive.sha256TreeHash.lowercased(), file.decoded.decoder,
                file.decoded.flags?.rawValue,
            ])
            nextId += 1
        }
    }

    /// (`a/b`, `c`) for `a/b/c`; (``, `c`) for `c`.
    static func split(_ path: Substring) -> (Substring, Substring) {
        guard let slash = path.lastIndex(of: "/") else { return ("", path) }
        return (path[..<slash], path[path.index(after: slash)...])
    }

    static func readSource(_ db: Database) throws -> Source? {
        let pairs = try Row.fetchAll(db, sql: "SELECT key, value FROM meta")
        var meta: [String: String] = [:]
        for pair in pairs { meta[pair["key"]] = pair["value"] }
        guard meta["schema"] == schemaVersion, let job = meta["inventory_job_id"], let format = meta["format"],
            let count = meta["archive_count"].flatMap({ Int($0) })
        else { return nil }
        let date = meta["inventory_date"].flatMap { $0.isEmpty ? nil : $0 }
        return Source(inventoryJobId: job, inventoryDate: date, format: format, archiveCount: count)
    }

    // MARK: - Queries

    static let columns =
        "id, parent, name, is_directory, modified, size, created, archive_id, description, tree_hash, decoder, flags"

    public func entry(_ id: Int64) throws -> Entry? {
        try database.read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.columns) FROM entry WHERE id = ?", arguments: [id]).map(Self.entry)
        }
    }

    public func child(of parent: Int64, named name: String) throws -> Entry? {
        try database.read { db in
            try Row.fetchOne(
                db, sql: "SELECT \(Self.columns) FROM entry WHERE parent = ? AND name = ?",
                arguments: [parent, name]
            ).map(Self.entry)
        }
    }

    /// In name (byte) order.
    public func children(of parent: Int64) throws -> [Entry] {
        try database.read { db in
            try Row.fetchAll(
                db, sql: "SELECT \(Self.columns) FROM entry WHERE parent = ? ORDER BY name",
                arguments: [parent]
            ).map(Self.entry)
        }
    }

    /// The files that hold `archiveId` (one, unless the inventory lists an archive twice).
    public func files(archiveId: String) throws -> [Entry] {
        try database.read { db in
            try Row.fetchAll(
                db, sql: "SELECT \(Self.columns) FROM entry WHERE archive_id = ?",
                arguments: [archiveId]
            ).map(Self.entry)
        }
    }

    /// The file's path from the view's root, for messages and `retrieve --name`.
    public func path(of id: Int64) throws -> String {
        var names: [String] = []
        var current = id
        while current != Self.rootId, current != 0, let e = try entry(current) {
            names.append(e.name)
            current = e.parent
        }
        return names.reversed().joined(separator: "/")
    }

    static func entry(_ row: Row) -> Entry {
        Entry(
            id: row["id"], parent: row["parent"], name: row["name"], isDirectory: row["is_directory"] as Int64 != 0,
            modified: row["modified"], size: row["size"], created: row["created"], archiveId: row["archive_id"],
            description: row["description"], treeHash: row["tree_hash"], decoder: row["decoder"],
            flags: (row["flags"] as Int?).map(ArchiveFlags.init(rawValue:)))
    }
}
