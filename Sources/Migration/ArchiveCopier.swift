import Foundation
import GlacierIntegrity
#if canImport(Glibc)
import Glibc
#endif

/// Writes one archive's output to its final path without ever leaving a partial file there:
/// a temporary file in the same directory, the tree hash checked against the inventory's, fsync,
/// mtime, rename, and fsync of the directory.
struct ArchiveCopier: Sendable {
    let root: String
    let source: any JobOutputSource
    let vault: String
    static let chunk = 8 << 20

    enum Outcome: Sendable {
        case copied(computedTreeHash: String)
        /// The bytes hash to something other than the inventory's tree hash.
        case mismatch(computed: String)
    }

    /// The temporary name of an archive's file, in its final directory: fixed per archive so a
    /// rerun finds and replaces what a crash left.
    static func temporaryPath(for finalPath: String, archiveId: String) -> String {
        let directory = (finalPath as NSString).deletingLastPathComponent
        return directory + "/.glacierfs-partial-" + SHA256.hash(archiveId).hex.prefix(20)
    }

    func copy(_ archive: PlannedArchive, jobId: String?) async throws -> Outcome {
        let finalPath = root + "/" + archive.path!
        let tempPath = Self.temporaryPath(for: finalPath, archiveId: archive.archiveId)
        try DestinationFiles.makeDirectories((finalPath as NSString).deletingLastPathComponent)
        let fd = open(tempPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw DestinationFiles.error(errno, tempPath) }
        var closed = false
        defer { if !closed { close(fd) } }
        let hasher = TreeHashBuilder()
        do {
            if archive.size > 0, let jobId {
                let handle = try await source.open(vault: vault, jobId: jobId, size: archive.size)
                var offset: Int64 = 0
                do {
                    while offset < archive.size {
                        let bytes = try await handle.read(offset: offset, size: Self.chunk)
                        guard !bytes.isEmpty else { break }
                        hasher.update(bytes)
                        try DestinationFiles.writeAll(fd, bytes, path: tempPath)
                        offset += Int64(bytes.count)
                    }
                } catch {
                    await handle.close()
                    throw error
                }
                await handle.close()
            }
            let computed = hasher.finalize().hex
            guard computed == archive.treeHash else {
                unlink(tempPath)
                return .mismatch(computed: computed)
            }
            var times = [timespec(tv_sec: Int(archive.mtime.rounded(.down)),
                                  tv_nsec: Int((archive.mtime - archive.mtime.rounded(.down)) * 1e9)),
                         timespec(tv_sec: Int(archive.mtime.rounded(.down)),
                                  tv_nsec: Int((archive.mtime - archive.mtime.rounded(.down)) * 1e9))]
            guard futimens(fd, &times) == 0, fsync(fd) == 0 else { throw DestinationFiles.error(errno, tempPath) }
            closed = true
            guard close(fd) == 0 else { throw DestinationFiles.error(errno, tempPath) }
            guard rename(tempPath, finalPath) == 0 else { throw DestinationFiles.error(errno, finalPath) }
            try DestinationFiles.syncDirectory((finalPath as NSString).deletingLastPathComponent)
            return .copied(computedTreeHash: computed)
        } catch {
            unlink(tempPath)
            throw error
        }
    }

    /// For an archive a crash caught between rename and bookkeeping: whether its final file is
    /// already complete (its size and tree hash match), so it need not be downloaded again.
    func alreadyComplete(_ archive: PlannedArchive) -> String? {
        let finalPath = root + "/" + archive.path!
        var st = stat()
        guard stat(finalPath, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, Int64(st.st_size) == archive.size,
              let computed = try? DestinationFiles.treeHash(ofFile: finalPath), computed == archive.treeHash else {
            return nil
        }
        return computed
    }
}
