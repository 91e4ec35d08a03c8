import Foundation
import GlacierIntegrity
import OrderedCollections

/// Everything the emulator knows, in memory. Guarded by `EmulatorStore`'s lock and backed by the
/// files described in `DataLayout` (synthetic jobs excepted: they live in memory only).
struct StoreState: Sendable {
    var vaults: [String: StoredVault] = [:]
    var jobClockOffset: TimeInterval = 0
    var nextJobSequence = 0
}

struct StoredVault: Sendable {
    var record: VaultRecord
    /// Live archives and deleted ones whose data is kept for jobs.
    var archives: [String: StoredArchive] = [:]
    var uploads: [String: StoredUpload] = [:]
    var jobs = JobTable()
    /// When the most recent inventory snapshot was taken.
    var lastInventoryDate: Date?

    init(record: VaultRecord) { self.record = record }

    var liveArchives: some Sequence<StoredArchive> { archives.values.lazy.filter { $0.record.deletedAt == nil } }
}

struct StoredArchive: Sendable {
    var record: ArchiveRecord
    /// The 1 MiB leaf digests, kept in memory so ranged checksums never re-read data.
    let leaves: [SHA256Digest]
}

struct StoredUpload: Sendable {
    var record: UploadRecord
    var parts: [Int64: StoredPart] = [:]
    /// Set while CompleteMultipartUpload assembles the archive, to refuse a second one.
    var completing = false
}

struct StoredPart: Sendable {
    var record: PartRecord
    let leaves: [SHA256Digest]
}

struct StoredJob: Sendable {
    var record: JobRecord
    /// Replacement fields for the served description (admin API).
    var override: JSONValue?
    /// Synthetic jobs live in memory only.
    var synthetic = false
}

/// Jobs in creation order, with O(1) lookup by id, so listings are stable and pages are cheap.
struct JobTable: Sendable {
    private var jobs: OrderedDictionary<String, StoredJob> = [:]

    subscript(id: String) -> StoredJob? {
        get { jobs[id] }
        set { jobs[id] = newValue }
    }

    /// Job ids, oldest first.
    var order: OrderedSet<String> { jobs.keys }

    mutating func remove(_ ids: Set<String>) {
        guard !ids.isEmpty else { return }
        jobs.removeAll { ids.contains($0.key) }
    }

    func index(of id: String) -> Int? { jobs.index(forKey: id) }

    var count: Int { jobs.count }

    /// Sorts by sequence once after loading from disk.
    mutating func sortBySequence() { jobs.sort { $0.value.record.sequence < $1.value.record.sequence } }
}
