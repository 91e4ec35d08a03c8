import Foundation
import GlacierTestSupport
import Migration
import Testing

/// `kill -9` at random moments of every phase, again and again; each rerun of the same command
/// carries on, and in the end nothing was retrieved or downloaded twice beyond what the kills cut.
@Suite(.serialized) struct MigrationCrashTests {
    static let mib = MigrationFixture.mib

    enum Target: String, CaseIterable { case inventory, retrieving, copying, manifest }

    @Test func killNineAnywhereResumesWithoutPayingOrDownloadingTwice() async throws {
        var specs: [(String, Int)] = []
        for i in 0 ..< 48 {
            specs.append(("docs/file-\(i).dat", i % 4 == 0 ? 3 * Self.mib + i * 1000 : 20_000 + i * 3_001))
        }
        specs.append(("", 0))
        try await MigrationFixture.with(jobDelay: 1.5, archives: specs) { f in
            // Slow links, so that kills land while copies run.
            try await f.emulator.setShaping(bytesPerSecondPerConnection: 6_000_000)
            let arguments = ["--fresh-inventory", "--max-jobs", "12", "--parallel-copies", "3"]
            let before = try await f.statistics()
            let bySha = Set(f.archives.map(\.sha256))
            var generator = SystemRandomNumberGenerator()
            let plan: [Target] = [
                .inventory, .inventory, .retrieving, .copying, .retrieving, .copying, .copying,
                .retrieving, .copying, .copying, .copying, .manifest,
            ]
            var kills: [Target: Int] = [:]
            var interruptedBytes: Int64 = 0
            var interruptedInitiations = 0
            var inventoryReads = 1
            for target in plan {
                let child = try f.start(arguments)
                defer { child.kill9() }
                let hit = try await waitFor(target, f, child)
                guard hit else { continue }  // it finished or moved on first; the next target tries again
                try await Task.sleep(nanoseconds: UInt64.random(in: 0 ... 150_000_000, using: &generator))
                kill(child.pid, SIGKILL)
                _ = await child.waitAsync(timeout: 10)
                kills[target, default: 0] += 1
                // What the kill cut short: copies in flight are downloaded again; an inventory read again.
                if let store = try f.store() {
                    interruptedBytes += try store.archives(in: [.copying]).reduce(0) { $0 + $1.size }
                    // InitiateJobs recorded as intended but unanswered: the kill may have cut them mid-request.
                    interruptedInitiations += try store.archives(in: [.retrieving]).filter { $0.jobId == nil }.count
                    if try store.setting("inventory.intent") != nil && store.setting("inventory.job") == nil {
                        interruptedInitiations += 1
                    }
                    if try store.setting("plan.complete") != "1" { inventoryReads += 1 }
                }
                // Never a partial file under a final name: every file there is a whole archive.
                for path in f.destinationFiles()
                where !(path as NSString).lastPathComponent.hasPrefix(".glacierfs-partial-") {
                    #expect(
                        bySha.contains(try f.fileFacts(path).sha256), "\(path) is not a complete archive after a kill")
                }
                try? FileManager.default.removeItem(atPath: child.logFile)
            }
            let totalKills = kills.values.reduce(0, +)
            #expect(totalKills >= 10, "kills: \(kills)")
            for target in Target.allCases {
                #expect(kills[target, default: 0] >= 1, "no kill while \(target.rawValue): \(kills)")
            }

            let (status, output) = try await f.run(arguments, timeout: 180)
            #expect(status == 0, "\(output.suffix(3000))")
            let after = try await f.statistics()
            let (lines, summary) = try f.manifest()
            #expect(
                summary?.complete == true && summary?.copied == Int64(f.archives.count),
                "\(String(describing: summary))")
            let byId = Dictionary(lines.map { ($0.archiveId, $0) }, uniquingKeysWith: { a, _ in a })
            for source in f.archives {
                let line = try #require(byId[source.archiveId])
                #expect(try f.fileFacts(line.path).sha256 == source.sha256, "\(line.path)")
            }
            #expect(f.partialFiles().isEmpty, "temporary files left: \(f.partialFiles())")

            let nonEmpty = f.archives.filter { $0.size > 0 }
            let copied = nonEmpty.reduce(Int64(0)) { $0 + Int64($1.size) }
            let initiated = (after.requests["InitiateJob"] ?? 0) - (before.requests["InitiateJob"] ?? 0)
            // No job started twice: exactly one retrieval per archive and one inventory. The requests may
            // number more only by those a kill cut before the service took them.
            let jobs = try await f.client.listJobs(vault: f.vault)
            let retrievals = Dictionary(grouping: jobs.jobs.filter(\.isArchiveRetrieval), by: { $0.archiveId ?? "" })
            #expect(
                retrievals.count == nonEmpty.count && retrievals.values.allSatisfy { $0.count == 1 },
                "retrieval jobs per archive: \(retrievals.values.map(\.count).sorted())")
            #expect(jobs.jobs.filter(\.isInventoryRetrieval).count == 1, "one inventory job")
            #expect(
                initiated >= nonEmpty.count + 1 && initiated <= nonEmpty.count + 1 + interruptedInitiations,
                "InitiateJob: \(initiated) for \(nonEmpty.count) archives and 1 inventory, \(interruptedInitiations) cut by kills"
            )
            let inventorySize = jobs.jobs.filter(\.isInventoryRetrieval).compactMap(\.inventorySizeInBytes).max() ?? 0
            let fetched = (after.bytesByOperation["GetJobOutput"] ?? 0) - (before.bytesByOperation["GetJobOutput"] ?? 0)
            let allowed = copied + interruptedBytes + Int64(inventoryReads) * inventorySize
            // Fewer than copied is fine: a copy a kill cut short resumes from the engine's disk cache.
            #expect(
                fetched > 0 && fetched <= allowed,
                "GetJobOutput bytes \(fetched): copied \(copied), cut short by kills \(interruptedBytes)")
            print(
                "FIGURE migrate-crash: \(totalKills) kills \(kills.map { "\($0.key.rawValue)=\($0.value)" }.sorted()); "
                    + "\(jobs.jobs.count) jobs (1 per archive + 1 inventory); InitiateJob requests \(initiated) "
                    + "(\(interruptedInitiations) were in flight at a kill); GetJobOutput bytes \(fetched) "
                    + "for \(copied) copied (kills cut \(interruptedBytes) bytes of copies in flight; "
                    + "inventory \(inventorySize) bytes × \(inventoryReads))")
        }
    }

    /// Waits until the running command is in `target`'s phase; false if it never gets there.
    func waitFor(_ target: Target, _ f: MigrationFixture, _ child: ChildProcess) async throws -> Bool {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline && child.isRunning {
            if let store = try? f.store() {
                let planned = (try? store.setting("plan.complete")) == "1"
                switch target {
                case .inventory:
                    if !planned, (try? store.setting("inventory.job")) != nil { return true }
                case .retrieving:
                    if planned, let n = try? store.archives(in: [.retrieving]).count, n > 0 { return true }
                case .copying:
                    if planned, let n = try? store.archives(in: [.copying]).count, n > 0 { return true }
                case .manifest:
                    if planned, let open = try? store.archives(in: ArchivePhase.open), open.isEmpty { return true }
                }
            }
            try await Task.sleep(nanoseconds: 5_000_000)
        }
        return false
    }
}
