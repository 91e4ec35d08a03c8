import Dispatch
import GlacierModel
import Synchronization

/// The directory tree of a vault's archives under their decoded names.
///
/// Collisions are common (re-uploads of the same file) and are resolved deterministically, so the
/// same inventory always gives the same tree, whatever its order:
/// - among archives decoded to the same path, the newest by `CreationDate` keeps the name (ties:
///   the greater archive id);
/// - the others, and a file whose path is also a directory, get `name~<YYYYMMDDTHHMMSSZ>~<first 8 of
///   the archive id>` (and `~2`, `~3`… in the unlikely case that is taken too).
/// A directory's mtime is the newest mtime below it.
public struct ArchiveTree: Sendable {
    public struct File: Sendable, Hashable {
        /// Components joined with `/`, relative to the view's root.
        public var path: String
        /// The archive's index in the list given to `build`.
        public var archive: Int
        public var decoded: DecodedDescription
        /// The recorded mtime, else the creation date (seconds since 1970).
        public var modified: Int64
        /// `CreationDate` in seconds since 1970.
        public var created: Int64
    }

    public struct Directory: Sendable, Hashable {
        /// `""` is the root.
        public var path: String
        public var modified: Int64
    }

    /// Sorted by path in byte order.
    public let files: [File]
    /// Sorted by path in byte order; the root comes first.
    public let directories: [Directory]

    /// The tree for `archives` (for example, an inventory's `ArchiveList`).
    public static func build(_ archives: [InventoryArchive]) -> ArchiveTree {
        build(archives, decoded: decodeAll(archives))
    }

    /// Every archive's description decoded, on all cores: it is most of a large tree's build time.
    static func decodeAll(_ archives: [InventoryArchive]) -> [DecodedDescription] {
        let chunk = 4096
        let chunks = (archives.count + chunk - 1) / chunk
        let parts = Mutex([[DecodedDescription]](repeating: [], count: chunks))
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let part = archives[(c * chunk) ..< min(archives.count, (c + 1) * chunk)].map {
                ArchiveDescriptionDecoder.decode($0.archiveDescription, archiveId: $0.archiveId, size: $0.size)
            }
            parts.withLock { $0[c] = part }
        }
        return parts.withLock { $0.flatMap { $0 } }
    }

    /// The tree for `archives`, with their descriptions already decoded (`decoded[i]` for `archives[i]`).
    public static func build(_ archives: [InventoryArchive], decoded: [DecodedDescription]) -> ArchiveTree {
        precondition(archives.count == decoded.count)
        // Milliseconds decide which re-upload is newest; whole seconds are what a file shows.
        let createdPrecisely = archives.map { GlacierTimestamp.parse($0.creationDate)?.timeIntervalSince1970 ?? 0 }
        let created = createdPrecisely.map { Int64($0.rounded(.down)) }

        // Every proper prefix of a file's path is a directory, and so is a directory marker's path.
        var directories: [String: Int64] = ["": Int64.min]
        var byPath: [String: [Int]] = [:]
        for i in archives.indices {
            let d = decoded[i]
            let modified = d.modified ?? created[i]
            directories[""] = max(directories[""]!, modified)
            var prefix = ""
            let dirCount = d.isDirectory ? d.components.count : d.components.count - 1
            for k in 0 ..< dirCount {
                prefix = k == 0 ? d.components[0] : prefix + "/" + d.components[k]
                directories[prefix] = max(directories[prefix] ?? Int64.min, modified)
            }
            if !d.isDirectory { byPath[d.path, default: []].append(i) }
        }

        let newestFirst: (Int, Int) -> Bool = { a, b in
            if createdPrecisely[a] != createdPrecisely[b] { return createdPrecisely[a] > createdPrecisely[b] }
            return archives[b].archiveId.utf8.lexicographicallyPrecedes(archives[a].archiveId.utf8)
        }
        var taken = Set(directories.keys)
        var keeps: [String: Int] = [:]
        for (path, group) in byPath where directories[path] == nil {
            let winner = group.min(by: newestFirst)!
            keeps[path] = winner
            taken.insert(path)
        }

        var files: [File] = []
        files.reserveCapacity(byPath.values.reduce(0) { $0 + $1.count })
        for path in byPath.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            for i in byPath[path]!.sorted(by: newestFirst) {
                var name = path
                if keeps[path] != i {
                    name = suffixed(
                        decoded[i].components, created: created[i], archiveId: archives[i].archiveId,
                        taken: &taken)
                }
                files.append(
                    File(
                        path: name, archive: i, decoded: decoded[i],
                        modified: decoded[i].modified ?? created[i], created: created[i]))
            }
        }
        files.sort { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        let dirs = directories.map { Directory(path: $0.key, modified: $0.value == Int64.min ? 0 : $0.value) }
            .sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        return ArchiveTree(files: files, directories: dirs)
    }

    /// `name~<created>~<id8>` in the same directory, made unique against `taken`, which it joins.
    static func suffixed(_ components: [String], created: Int64, archiveId: String, taken: inout Set<String>) -> String
    {
        let parent = components.dropLast().joined(separator: "/")
        let id8 = SafePath.components(of: Array(archiveId.utf8.prefix(8)))?.joined(separator: "_") ?? ""
        let base = "~" + RecordedTime.text(created) + "~" + id8
        var n = 1
        while true {
            let suffix = n == 1 ? base : base + "~\(n)"
            let last = SafePath.appending(suffix, to: components.last!)
            let path = parent.isEmpty ? last : parent + "/" + last
            if taken.insert(path).inserted { return path }
            n += 1
        }
    }
}
