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
            var misses: [Miss] = []
            // How late a 5 ms task sleep wakes while the kills run: the lag a task-based watch would suffer.
            let poolLag = Task.detached {
                var worst = 0.0
                while !Task.isCancelled {
                    let before = Date()
                    try? await Task.sleep(nanoseconds: 5_000_000)
                    worst = max(worst, Date().timeIntervalSince(before) - 0.005)
                }
                return worst
            }
            // The manifest is written again by every run, even after all is copied: a missed manifest kill
            // (its window is short) is tried again a few times; other phases come once the copies are done.
            let attempts = plan.flatMap { $0 == .manifest ? Array(repeating: $0, count: 5) : [$0] }
            for target in attempts {
                if target == .manifest && kills[.manifest] != nil { continue }
                let child = try f.start(arguments)
                defer { child.kill9() }
                let delay = Double.random(in: 0 ... (target == .manifest ? 0.02 : 0.15), using: &generator)
                if let miss = await killDuring(target, f, child, delay: delay) {
                    print("MISS migrate-crash: \(miss)")
                    misses.append(miss)
                    continue  // it finished or moved on first; the next target tries again
                }
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
            poolLag.cancel()
            let worstLag = await poolLag.value
            let totalKills = kills.values.reduce(0, +)
            #expect(totalKills >= 10, "kills: \(kills); misses:\n\(misses.map(\.description).joined(separator: "\n"))")
            for target in Target.allCases {
                #expect(
                    kills[target, default: 0] >= 1,
                    "no kill while \(target.rawValue): \(kills); misses:\n\(misses.map(\.description).joined(separator: "\n"))"
                )
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
                    + "inventory \(inventorySize) bytes × \(inventoryReads)); a 5 ms task sleep woke up to "
                    + "\(String(format: "%.2f", worstLag)) s late")
        }
    }

    /// Why a watch ended without a kill: shown when too few kills landed.
    struct Miss: CustomStringConvertible {
        let target: Target
        let seconds: Double
        let longestGap: Double
        let exitStatus: Int32?
        let storeError: String?
        let lastSeen: String
        let outputTail: String
        var description: String {
            "\(target.rawValue) not reached after \(String(format: "%.1f", seconds)) s (longest gap between looks "
                + "\(String(format: "%.2f", longestGap)) s); child exit \(exitStatus.map(String.init) ?? "none, still running"); "
                + "last store error: \(storeError ?? "none"); last seen: \(lastSeen); output tail:\n\(outputTail)"
        }
    }

    /// Kills the running command with SIGKILL `delay` after it is seen in `target`'s phase, if it is still
    /// there then; a `Miss` saying why if that never happens. The watch runs on a thread of its own, not
    /// in a task: in the full parallel run other suites' blocking calls hold the cooperative pool's few
    /// threads for seconds, and a phase came and went between two looks.
    func killDuring(_ target: Target, _ f: MigrationFixture, _ child: ChildProcess, delay: Double) async -> Miss? {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: watch(target, f, child, delay: delay)) }
        }
    }

    func watch(_ target: Target, _ f: MigrationFixture, _ child: ChildProcess, delay: Double) -> Miss? {
        let start = Date()
        let deadline = start.addingTimeInterval(60)
        var storeError: String?
        var lastSeen = "no database yet"
        var lastLook = start
        var longestGap = 0.0
        var seenAt: Date?
        // A fresh read-only connection each look; an error (the database mid-recovery after the last
        // kill, or not yet created) is kept for the report and the next look tries again.
        func inPhase() -> Bool {
            longestGap = max(longestGap, Date().timeIntervalSince(lastLook))
            lastLook = Date()
            do {
                guard let store = try f.store() else { return false }
                let planned = try store.setting("plan.complete") == "1"
                let inventoryJob = try store.setting("inventory.job")
                let retrieving = try store.archives(in: [.retrieving]).count
                let copying = try store.archives(in: [.copying]).count
                let open = try store.archives(in: ArchivePhase.open).count
                lastSeen =
                    "planned \(planned), inventory job \(inventoryJob != nil), retrieving \(retrieving), "
                    + "copying \(copying), open \(open)"
                switch target {
                case .inventory: return !planned && inventoryJob != nil
                case .retrieving: return planned && retrieving > 0
                case .copying: return planned && copying > 0
                case .manifest: return planned && open == 0
                }
            } catch {
                storeError = "\(error)"
                return false
            }
        }
        while Date() < deadline && child.isRunning {
            if inPhase() {
                if seenAt == nil { seenAt = Date() }
                if Date().timeIntervalSince(seenAt!) >= delay {
                    kill(child.pid, SIGKILL)
                    return nil
                }
            } else {
                seenAt = nil
            }
            usleep(5_000)
        }
        _ = child.wait(timeout: 1)
        return Miss(
            target: target, seconds: Date().timeIntervalSince(start), longestGap: longestGap,
            exitStatus: child.exitStatus, storeError: storeError, lastSeen: lastSeen,
            outputTail: String(child.output.suffix(1500)))
    }
}
