import CPlatformSupport
import Foundation
import GlacierFileSystem
import GlacierIntegrity
import GlacierModel
import OutputCache

#if canImport(Glibc)
import Glibc
#endif

/// Writes one archive's output to its final path without ever leaving a partial file there:
/// a temporary file in the same directory, the tree hash checked against the inventory's, fsync,
/// mtime, rename, and fsync of the directory. The bytes come through the filesystem's read
/// engine: parallel tree-node requests, each verified, kept in the same disk cache as the mount's.
/// Where that cache is on the destination's filesystem, its file of the whole verified output is
/// handed over as the temporary file instead of written a second time.
struct ArchiveCopier: Sendable {
    let root: String
    let readers: OutputReaders?
    let vault: String
    /// The endpoint and configured account, which name cache entries as the mount names them.
    let endpoint: String
    let accountId: String
    /// Whether a whole cached output may be handed over instead of copied (not with --keep-cache).
    var handsOver = true
    /// Archives copied at once: their hand-overs share the cache's budget.
    var copies = 1
    /// Sequential reads this large let the engine's prefetch window grow to full speed.
    static let chunk = 8 << 20
    /// Bytes written between two starts of writeback.
    static let writebackStep: Int64 = 32 << 20

    enum Outcome: Sendable {
        case copied(computedTreeHash: String)
        /// The bytes are not the archive the inventory lists (the engine's root check, or ours).
        case mismatch(String)
    }

    /// Why a copy stopped part-way.
    enum Interruption: Error {
        /// The job's output is no longer available: retrieve the archive again.
        case outputGone(String)
    }

    /// The cache entry's name: the account from the vault's ARN, as the mount's catalog takes it.
    func key(for job: GlacierJobDescription) -> OutputKey {
        let parts = job.vaultARN?.split(separator: ":", omittingEmptySubsequences: false) ?? []
        let account = parts.count >= 6 && !parts[4].isEmpty ? String(parts[4]) : accountId
        return OutputKey(endpoint: endpoint, accountId: account, vault: vault, jobId: job.jobId)
    }

    /// The temporary name of an archive's file, in its final directory: fixed per archive so a
    /// rerun finds and replaces what a crash left.
    static func temporaryPath(for finalPath: String, archiveId: String) -> String {
        let directory = (finalPath as NSString).deletingLastPathComponent
        return directory + "/.glacierfs-partial-" + SHA256.hash(archiveId).hex.prefix(20)
    }

    func copy(_ archive: PlannedArchive, job: GlacierJobDescription?) async throws -> Outcome {
        let finalPath = root + "/" + archive.path!
        let directory = (finalPath as NSString).deletingLastPathComponent
        let tempPath = Self.temporaryPath(for: finalPath, archiveId: archive.archiveId)
        try DestinationFiles.makeDirectories(directory)
        var fd: Int32 = -1
        var direct: Int32 = -1
        defer {
            if fd >= 0 { close(fd) }
            if direct >= 0 { close(direct) }
        }
        func createTemporary() throws {
            // A new file, never a truncated old name: a leftover could share its data with another.
            unlink(tempPath)
            fd = open(tempPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw DestinationFiles.error(errno, tempPath) }
            // Whole leaves go straight to the disk: no copy into the page cache, no writeback later.
            direct = open(tempPath, O_WRONLY | O_CLOEXEC | glfs_o_direct())
        }
        // An empty archive's tree hash; any other comes from the engine, which hashed every leaf.
        var computed = TreeHashBuilder().finalize().hex
        do {
            if let leftover = Self.completeLeftover(tempPath, archive) {
                // A crash came after this archive's file was whole and checked, before its rename.
                fd = leftover
                computed = archive.treeHash
            } else if archive.size > 0, let job, let readers {
                let shape: JobOutputShape
                do { shape = try JobOutputShape.of(job, allowUnverified: false) } catch {
                    unlink(tempPath)
                    return .mismatch("job \(job.jobId) cannot be verified: \(error)")
                }
                let handle: OutputHandle
                switch readers.open(vault: vault, job: job, shape: shape, key: key(for: job)) {
                case .success(let h): handle = h
                case .failure(let e): throw POSIXFileError(path: "cache entry for job \(job.jobId)", code: e.errno)
                }
                defer { handle.close() }
                // On the cache's filesystem the verified bytes need not be written twice: the
                // cache's file of the whole output becomes the temporary file.
                let handOver =
                    handsOver && readers.canHandOver(size: archive.size, toDirectory: directory, copies: copies)
                if handOver {
                    readers.prepareHandOver(handle)
                } else {
                    try createTemporary()
                }
                defer { if handOver { readers.abandonHandOver(handle) } }
                var refusal = try await download(
                    handle, size: archive.size, jobId: job.jobId,
                    to: handOver ? nil : Destination(fd: fd, direct: direct, path: tempPath))
                if handOver && refusal == nil {
                    if await readers.handOver(handle, to: tempPath) {
                        fd = open(tempPath, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)
                        guard fd >= 0, fchmod(fd, 0o644 & ~Self.umask) == 0 else {
                            throw DestinationFiles.error(errno, tempPath)
                        }
                        // The group a file created in DIR would get (a setgid directory's own).
                        var dir = stat()
                        if stat(directory, &dir) == 0, dir.st_mode & S_ISGID != 0 {
                            _ = fchown(fd, uid_t.max, dir.st_gid)
                        }
                    } else {
                        // Not whole in the cache after all: copy, mostly from what it holds.
                        try createTemporary()
                        refusal = try await download(
                            handle, size: archive.size, jobId: job.jobId,
                            to: Destination(fd: fd, direct: direct, path: tempPath))
                    }
                }
                if let refusal {
                    unlink(tempPath)
                    return .mismatch(refusal)
                }
                // Every byte written was verified by the engine, leaf by leaf, and the leaves' root
                // against the job's checksum; that root is the tree hash of what was written.
                guard let root = handle.matchedRoot else {
                    unlink(tempPath)
                    return .mismatch("the read engine did not confirm the tree hash of job \(job.jobId)'s output")
                }
                computed = root
            } else {
                try createTemporary()
            }
            guard computed == archive.treeHash else {
                unlink(tempPath)
                return .mismatch("the output's tree hash \(computed) differs from the inventory's \(archive.treeHash)")
            }
            let closing = fd
            fd = -1
            try Self.finish(closing, archive, from: tempPath, to: finalPath)
            // The caller syncs the directory (once for many files) before it records the copy.
            return .copied(computedTreeHash: computed)
        } catch {
            unlink(tempPath)
            throw error
        }
    }

    /// The last steps of every copy: the mtime, fsync, close (of `fd`, whatever happens) and the
    /// rename to the final name.
    static func finish(_ fd: Int32, _ archive: PlannedArchive, from tempPath: String, to finalPath: String) throws {
        let seconds = Int(archive.mtime.rounded(.down))
        let nanoseconds = Int((archive.mtime - archive.mtime.rounded(.down)) * 1e9)
        var times = [timespec(tv_sec: seconds, tv_nsec: nanoseconds), timespec(tv_sec: seconds, tv_nsec: nanoseconds)]
        guard futimens(fd, &times) == 0, fsync(fd) == 0 else {
            let code = errno
            close(fd)
            throw DestinationFiles.error(code, tempPath)
        }
        guard close(fd) == 0 else { throw DestinationFiles.error(errno, tempPath) }
        guard rename(tempPath, finalPath) == 0 else { throw DestinationFiles.error(errno, finalPath) }
    }

    /// For an archive a crash caught while copying: finishes a whole, checked temporary file it
    /// left (mode, mtime, fsync, rename, the directory's fsync), so no job is needed for it.
    /// Returns its tree hash, or nil when there is no such file.
    func finishLeftover(_ archive: PlannedArchive) throws -> String? {
        let finalPath = root + "/" + archive.path!
        let tempPath = Self.temporaryPath(for: finalPath, archiveId: archive.archiveId)
        guard let fd = Self.completeLeftover(tempPath, archive) else { return nil }
        try Self.finish(fd, archive, from: tempPath, to: finalPath)
        try DestinationFiles.syncDirectory((finalPath as NSString).deletingLastPathComponent)
        return archive.treeHash
    }

    /// The process's umask, for a handed-over file's mode (it was created private, as the cache's).
    /// Read from /proc: setting it to read it would race the other copies' file creation.
    static let umask: mode_t = {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        for line in status.split(separator: "\n") where line.hasPrefix("Umask:") {
            if let mask = mode_t(line.dropFirst(6).trimmingCharacters(in: .whitespaces), radix: 8) { return mask }
        }
        return 0o022
    }()

    /// Reads the whole output in order, writing each chunk to `file` (or only reading it,
    /// for a hand-over); returns why the engine refused the bytes, if it did. The next chunk is
    /// asked for before this one is written, so the engine's fetches and the disk's writes overlap.
    func download(_ handle: OutputHandle, size: Int64, jobId: String, to file: Destination?) async throws -> String? {
        var pending: Task<ReadOutcome, Never>? = Task { await handle.read(offset: 0, size: Self.chunk) }
        defer { pending?.cancel() }
        var offset: Int64 = 0
        var writtenBack: Int64 = 0
        do {
            while offset < size, let current = pending {
                let outcome = await current.value
                let next = offset + Int64(Self.chunk)
                pending = next < size ? Task { await handle.read(offset: next, size: Self.chunk) } : nil
                switch outcome {
                case .data(let segments):
                    var got = 0
                    for segment in segments {
                        try segment.withUnsafeBytes { try file?.write($0, at: offset + Int64(got)) }
                        got += segment.count
                    }
                    guard Int64(got) == min(Int64(Self.chunk), size - offset) else {
                        throw MigrationError.downloadFailed("job \(jobId) returned \(got) bytes at \(offset)")
                    }
                    offset += Int64(got)
                    if let file, offset - writtenBack >= Self.writebackStep {
                        // What was not written directly goes to the disk now, not all at the fsync.
                        _ = glfs_start_writeback(file.fd, off_t(writtenBack), off_t(offset - writtenBack))
                        writtenBack = offset
                    }
                case .failure(.outputGone(let why)):
                    throw Interruption.outputGone(why)
                case .failure(.refused(let why)):
                    _ = await pending?.value
                    return why
                case .failure(.fetchFailed(let why)):
                    throw MigrationError.downloadFailed(why)
                }
            }
        } catch {
            _ = await pending?.value  // no read of this handle outlives the copy
            throw error
        }
        return nil
    }

    /// The temporary file a download writes: whole 4 KiB-aligned leaves through its O_DIRECT
    /// descriptor when it has one, anything else through the buffered one.
    struct Destination {
        let fd: Int32
        let direct: Int32
        let path: String

        func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws {
            let aligned =
                direct >= 0 && Int(bitPattern: bytes.baseAddress) % 4096 == 0 && bytes.count % 4096 == 0
                && offset % 4096 == 0
            var done = 0
            if aligned {
                let n = pwrite(direct, bytes.baseAddress, bytes.count, off_t(offset))
                // EINVAL: this filesystem takes no direct writes after all; the rest is buffered.
                if n < 0 && errno != EINVAL && errno != EINTR { throw DestinationFiles.error(errno, path) }
                done = max(0, n)
            }
            guard done < bytes.count else { return }
            try DestinationFiles.pwriteAll(
                fd, UnsafeRawBufferPointer(rebasing: bytes[done...]), at: offset + Int64(done), path: path)
        }
    }

    /// A temporary file a crash left whole: its own only name, the archive's size and tree hash.
    /// Opened for the steps that remain (mode, mtime, fsync, rename), or nil.
    static func completeLeftover(_ tempPath: String, _ archive: PlannedArchive) -> Int32? {
        var st = stat()
        guard archive.size > 0, lstat(tempPath, &st) == 0, st.st_nlink == 1 else { return nil }
        guard holds(archive, path: tempPath, st) else {
            // Hashed once and found wanting: gone, so a later look is only an lstat.
            if (st.st_mode & S_IFMT) == S_IFREG && Int64(st.st_size) == archive.size { unlink(tempPath) }
            return nil
        }
        let fd = open(tempPath, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        guard fchmod(fd, 0o644 & ~umask) == 0 else {
            close(fd)
            return nil
        }
        return fd
    }

    /// For an archive a crash caught between rename and bookkeeping: whether its final file is
    /// already complete (its size and tree hash match), so it need not be downloaded again.
    func alreadyComplete(_ archive: PlannedArchive) -> String? {
        let finalPath = root + "/" + archive.path!
        var st = stat()
        guard stat(finalPath, &st) == 0, Self.holds(archive, path: finalPath, st) else { return nil }
        return archive.treeHash
    }

    /// Whether the regular file at `path` (with `st`, its stat) is the archive: its size, then its
    /// tree hash, the inventory's.
    static func holds(_ archive: PlannedArchive, path: String, _ st: stat) -> Bool {
        (st.st_mode & S_IFMT) == S_IFREG && Int64(st.st_size) == archive.size
            && (try? DestinationFiles.treeHash(ofFile: path)) == archive.treeHash
    }
}
