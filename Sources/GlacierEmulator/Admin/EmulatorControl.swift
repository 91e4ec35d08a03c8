import Foundation
import GlacierModel

/// Run-time controls shared by the library API and the admin HTTP API.
extension EmulatorService {
    /// Requests by operation, bytes served and fault counts.
    func statisticsSnapshot() -> EmulatorStatistics { statistics.snapshot(faults: faults.counters) }

    /// Zeroes the request, byte and fault counters.
    func resetStatistics() {
        statistics.reset()
        faults.resetCounters()
    }

    func setFaults(_ settings: FaultSettings) throws(ConfigurationError) {
        try settings.validate()
        faults.update(settings)
    }

    func updateShaping(_ settings: ShapingSettings) throws(ConfigurationError) {
        try settings.validate()
        setShaping(settings)
    }

    /// Replaces fields of a job's served description with the members of `override` (an object;
    /// an empty object clears the override).
    func overrideJob(vault: String, jobId: String, with override: JSONValue) async throws {
        guard case .object(let members) = override else {
            throw ServiceError.invalidParameter("The override must be a JSON object.")
        }
        let synthetic = try store.withState { s throws(ServiceError) -> Bool in
            guard let v = s.vaults[vault] else { throw vaultNotFound(vault) }
            guard let job = v.jobs[jobId] else { throw .notFound("The job ID was not found: \(jobId)") }
            return job.synthetic
        }
        let path = store.layout.jobOverride(vault, jobId)
        if !synthetic {
            if members.isEmpty {
                _ = try? await store.io.run { unlink(path) }
            } else {
                try await store.writeBytes(Array(override.serialized().utf8), to: path)
            }
        }
        store.withState { s in s.vaults[vault]?.jobs[jobId]?.override = members.isEmpty ? nil : override }
    }

    /// Creates `count` jobs that have already succeeded: archive retrievals of `archiveId`, or
    /// inventory retrievals sharing one snapshot when no archive is named. They live in memory only.
    func createSyntheticJobs(vault: String, count: Int, archiveId: String?) async throws -> [String] {
        guard (1 ... 1_000_000).contains(count) else {
            throw ServiceError.invalidParameter("count must be between 1 and 1000000.")
        }
        let now = store.now
        let ids = (0 ..< count).map { _ in Identifiers.jobId() }
        var inventoryFile: (path: String, size: Int64)?
        if archiveId == nil {
            let archives = try store.withState { s throws(ServiceError) in
                guard let v = s.vaults[vault] else { throw vaultNotFound(vault) }
                return v.liveArchives.map(\.record)
            }
            let output = try InventoryBuilder.output(
                vaultARN: vaultARN(vault), date: now, archives: archives,
                format: "JSON")
            let name = "synthetic/\(Identifiers.uploadId()).json"
            try await store.createDirectory(store.layout.synthetic)
            try await store.writeBytes(output, to: store.layout.root + "/" + name)
            inventoryFile = (name, Int64(output.count))
        }
        try store.withState { s throws(ServiceError) in
            guard var v = s.vaults[vault] else { throw vaultNotFound(vault) }
            s.vaults[vault] = nil  // edit the vault in place without copying its tables
            defer { s.vaults[vault] = v }
            var archive: StoredArchive?
            if let archiveId {
                guard let a = v.archives[archiveId], a.record.deletedAt == nil else {
                    throw .notFound("Archive not found: \(archiveId)")
                }
                archive = a
            }
            for id in ids {
                let sequence = s.nextJobSequence
                s.nextJobSequence += 1
                let record =
                    if let archive {
                        JobFactory.archiveJob(
                            id: id, archive: archive, range: nil, tier: "Standard",
                            description: "synthetic", snsTopic: nil, now: now, delay: 0,
                            sequence: sequence)
                    } else {
                        JobFactory.inventoryJob(
                            id: id, format: "JSON", outputFile: inventoryFile!.path,
                            outputSize: inventoryFile!.size, description: "synthetic", snsTopic: nil,
                            now: now, delay: 0, sequence: sequence)
                    }
                v.jobs[id] = StoredJob(record: record, override: nil, synthetic: true)
            }
        }
        return ids
    }
}
