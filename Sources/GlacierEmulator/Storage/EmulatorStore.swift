import Foundation
import Logging
import Synchronization

/// The emulator's state: an in-memory index behind a lock, backed by files under the data
/// directory. Handlers check and change the index with `withState`, and write files with the
/// helpers here (always temp + fsync + rename, metadata last). New things are written to disk
/// before they are published in the index; removals leave the index first and the disk after.
/// So a crash can at worst bring back something whose deletion had not finished, and never
/// exposes anything half-written.
final class EmulatorStore: Sendable {
    let layout: DataLayout
    let io: BlockingIO
    let outputLifetime: TimeInterval
    private let state: Mutex<StoreState>
    private let logger: Logger
    private let lock: DirectoryLock

    private init(
        layout: DataLayout, io: BlockingIO, outputLifetime: TimeInterval, state: StoreState, logger: Logger,
        lock: DirectoryLock
    ) {
        self.layout = layout
        self.io = io
        self.outputLifetime = outputLifetime
        self.state = Mutex(state)
        self.logger = logger
        self.lock = lock
    }

    /// Locks and loads (or creates) the data directory, removing leftovers of interrupted writes.
    static func open(
        layout: DataLayout, io: BlockingIO, outputLifetime: TimeInterval, logger: Logger
    ) async throws
        -> EmulatorStore
    {
        let (lock, state) = try await io.run {
            let lock = try DirectoryLock.acquire(layout: layout)
            do {
                return (lock, try StoreLoader.load(layout: layout, logger: logger))
            } catch {
                lock.release()
                throw error
            }
        }
        let store = EmulatorStore(
            layout: layout, io: io, outputLifetime: outputLifetime, state: state, logger: logger,
            lock: lock)
        await store.collectGarbage()
        return store
    }

    /// Releases the data directory for another server.
    func releaseDirectory() { lock.release() }

    /// Runs `body` under the lock. Keep it short: no I/O inside.
    func withState<T: Sendable, E: Error>(_ body: (inout StoreState) throws(E) -> T) throws(E) -> T {
        try state.withLock { (s: inout StoreState) throws(E) -> T in try body(&s) }
    }

    /// The service clock: wall clock plus the job-clock offset. Every resource time uses it.
    var now: Date { Date().addingTimeInterval(state.withLock { $0.jobClockOffset }) }

    func phase(of job: JobRecord, in vault: StoredVault, now: Date) -> JobPhase {
        var deletedAt: Date?
        if let id = job.archiveId, job.kind == .archive {
            deletedAt = vault.archives[id].map { $0.record.deletedAt } ?? Date.distantPast
        }
        return JobPhase.of(job, archiveDeletedAt: deletedAt, now: now, outputLifetime: outputLifetime)
    }

    // MARK: Writing

    func writeJSON<T: Encodable & Sendable>(_ value: T, to path: String) async throws {
        let bytes = try WireJSON.encode(value)
        let tmp = layout.tmp
        try await io.run { try FileOps.writeAtomically(bytes, to: path, tmpDir: tmp) }
    }

    func writeBytes(_ bytes: [UInt8], to path: String) async throws {
        let tmp = layout.tmp
        try await io.run { try FileOps.writeAtomically(bytes, to: path, tmpDir: tmp) }
    }

    func createDirectory(_ path: String) async throws {
        try await io.run { try FileOps.createDirectory(path) }
    }

    /// Removes a tree so that it vanishes at once: rename into tmp/, then delete at leisure.
    func removeTree(_ path: String) async {
        let tmp = layout.tmp
        _ = try? await io.run {
            let (fd, grave) = try FileOps.makeTempFile(in: tmp)
            close(fd)
            unlink(grave)
            if rename(path, grave) == 0 {
                FileOps.syncDirectory(of: path)
                FileOps.removeTree(grave)
            } else {
                FileOps.removeTree(path)
            }
        }
    }

    /// Moves the job clock forward (or back) and records the new offset.
    func advanceClock(by seconds: TimeInterval) async throws {
        let offset = state.withLock {
            $0.jobClockOffset += seconds
            return $0.jobClockOffset
        }
        try await writeJSON(ServiceState(jobClockOffset: offset), to: layout.stateFile)
        await collectGarbage()
    }

    // MARK: Garbage collection

    /// Forgets expired jobs and frees the data of deleted archives that no succeeded job serves.
    func collectGarbage() async {
        let now = self.now
        let doomed: [String] = state.withLock { s in
            var paths: [String] = []
            for (name, var vault) in s.vaults {
                var expired = Set<String>()
                var needed = Set<String>()
                for id in vault.jobs.order {
                    guard let job = vault.jobs[id] else { continue }
                    let phase = phase(of: job.record, in: vault, now: now)
                    if phase == .expired {
                        expired.insert(id)
                        if !job.synthetic { paths.append(layout.job(name, id)) }
                    } else if phase.needsData, let archive = job.record.archiveId {
                        needed.insert(archive)
                    }
                }
                vault.jobs.remove(expired)
                for (id, archive) in vault.archives where archive.record.deletedAt != nil && !needed.contains(id) {
                    vault.archives[id] = nil
                    paths.append(layout.archive(name, id))
                }
                s.vaults[name] = vault
            }
            return paths
        }
        for path in doomed { await removeTree(path) }
        if !doomed.isEmpty { logger.debug("garbage collected", metadata: ["paths": "\(doomed.count)"]) }
    }
}
