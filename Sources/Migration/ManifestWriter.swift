import Foundation
import GlacierModel

/// `DIR/.glacierfs/manifest.jsonl`: one line per archive copied, then a summary line. It is
/// rewritten from the database (temporary file, fsync, rename), so it always matches the state
/// and a crash never leaves it torn.
struct ManifestWriter: Sendable {
    let store: MigrationStore
    let root: String

    static let fileName = "manifest.jsonl"
    var path: String { root + "/.glacierfs/" + Self.fileName }

    /// One copied archive.
    struct Line: Codable, Sendable {
        var archiveId: String
        var description: String
        var path: String
        var decoder: String
        /// `compressed`, `encrypted` or `none` as the upload tool recorded it; absent when it records nothing.
        var flags: String?
        var size: Int64
        var creationDate: String
        var inventoryTreeHash: String
        var computedTreeHash: String
        var jobId: String?
        var tier: String?
        var copiedAt: String
    }

    struct Summary: Codable, Sendable {
        var summary = true
        var vault: String
        var archives: Int64
        var copied: Int64
        var copiedBytes: Int64
        var skipped: Int64
        var failed: Int64
        var pending: Int64
        var complete: Bool
        var notCopied: [Exception]
        var writtenAt: String
    }

    struct Exception: Codable, Sendable {
        var archiveId: String
        var path: String?
        var phase: String
        var reason: String
    }

    @discardableResult
    func write(vault: String) throws -> Summary {
        let archives = try store.allArchives()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var text = Data()
        var summary = Summary(
            vault: vault, archives: Int64(archives.count), copied: 0, copiedBytes: 0, skipped: 0, failed: 0,
            pending: 0, complete: false, notCopied: [],
            writtenAt: GlacierTimestamp.format(Date()))
        for a in archives {
            switch a.phase {
            case .copied:
                let job = try a.jobId.flatMap { try store.job($0) }
                let line = Line(
                    archiveId: a.archiveId, description: a.description, path: a.path ?? "", decoder: a.decoder,
                    flags: a.flags, size: a.size, creationDate: a.creationDate, inventoryTreeHash: a.treeHash,
                    computedTreeHash: a.computedTreeHash ?? "", jobId: a.jobId, tier: job?.tier,
                    copiedAt: GlacierTimestamp.format(Date(timeIntervalSince1970: a.copiedAt ?? 0)))
                text.append(try encoder.encode(line))
                text.append(0x0a)
                summary.copied += 1
                summary.copiedBytes += a.size
            case .skipped:
                summary.skipped += 1
                summary.notCopied.append(
                    Exception(
                        archiveId: a.archiveId, path: a.path, phase: a.phase.rawValue,
                        reason: a.reason ?? ""))
            case .failed:
                summary.failed += 1
                summary.notCopied.append(
                    Exception(
                        archiveId: a.archiveId, path: a.path, phase: a.phase.rawValue,
                        reason: a.reason ?? ""))
            default:
                summary.pending += 1
            }
        }
        summary.complete = summary.pending == 0
        text.append(try encoder.encode(summary))
        text.append(0x0a)
        try Self.replace(path, with: text)
        return summary
    }

    /// Writes `data` to `path` atomically and durably.
    static func replace(_ path: String, with data: Data) throws {
        let temp = path + ".partial"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw DestinationFiles.error(errno, temp) }
        do {
            try DestinationFiles.writeAll(fd, Array(data), path: temp)
            guard fsync(fd) == 0 else { throw DestinationFiles.error(errno, temp) }
        } catch {
            close(fd)
            unlink(temp)
            throw error
        }
        close(fd)
        guard rename(temp, path) == 0 else { throw DestinationFiles.error(errno, path) }
        try DestinationFiles.syncDirectory((path as NSString).deletingLastPathComponent)
    }
}
