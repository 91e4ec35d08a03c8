import Foundation
import GlacierIntegrity
import GlacierModel
import GlacierTestSupport
import Migration
import Testing

/// What the service and the machine impose: expiring outputs, the daily budget (on the
/// emulator's job clock), throttling, retrieval policies, and a read-only or full destination.
@Suite(.serialized) struct MigrationLimitsTests {
    static let mib = MigrationFixture.mib

    @Test func outputsThatExpireBeforeTheirCopyAreRetrievedAgain() async throws {
        // One copy at a time takes longer than an output lives, so the outputs waiting their turn expire.
        // (5 s of life leaves a loaded machine time to read the inventory; a copy takes over 6 s.)
        let specs = (0 ..< 3).map { ("slow/part-\($0).bin", 6 * Self.mib / 5 + $0) }
        try await MigrationFixture.with(jobDelay: 0.3, outputLifetime: 5, archives: specs) { f in
            _ = try await f.takeInventory()
            try await f.emulator.setShaping(bytesPerSecondPerConnection: 200_000)
            let before = try await f.statistics()
            let (status, output) = try await f.run(["--parallel-copies", "1"], timeout: 120)
            #expect(status == 0, "\(output.suffix(3000))")
            // An archive's, not the inventory's: that one can expire too before migrate reads it.
            #expect(output.contains("retrieving it again"), "the expiry is reported: \(output.suffix(2000))")
            let after = try await f.statistics()
            let inventories = output.components(separatedBy: "started inventory job").count - 1
            let initiated =
                (after.requests["InitiateJob"] ?? 0) - (before.requests["InitiateJob"] ?? 0) - inventories
            #expect(
                initiated > specs.count,
                "expired outputs were retrieved again (\(initiated) archive jobs for \(specs.count))")
            let (lines, summary) = try f.manifest()
            #expect(summary?.complete == true && summary?.copied == Int64(specs.count))
            for line in lines {
                let source = try #require(f.archives.first { $0.archiveId == line.archiveId })
                #expect(try f.fileFacts(line.path).sha256 == source.sha256)
            }
            print(
                "FIGURE migrate-expiry: \(initiated) InitiateJob calls for \(specs.count) archives whose outputs lived 5 s"
            )
        }
    }

    @Test func damagedDownloadsAreFetchedAgainAndTheCopiesStayExact() async throws {
        let specs = (0 ..< 12).map { ("damaged/\($0).bin", $0 % 3 == 0 ? 5 * Self.mib + $0 : 300_000 + $0) }
        try await MigrationFixture.with(archives: specs) { f in
            _ = try await f.takeInventory()
            try await f.emulator.setFaults(
                ["flip": 0.1, "truncate": 0.05, "reset": 0.05, "wrong-checksum": 0.05], seed: 9)
            let (status, output) = try await f.run(["--parallel-copies", "3"], timeout: 120)
            #expect(status == 0, "\(output.suffix(3000))")
            let stats = try await f.statistics()
            #expect(stats.faultsTotal > 0, "faults were injected")
            let (lines, summary) = try f.manifest()
            #expect(summary?.complete == true && summary?.copied == Int64(specs.count))
            for line in lines {
                let source = try #require(f.archives.first { $0.archiveId == line.archiveId })
                #expect(try f.fileFacts(line.path).sha256 == source.sha256, "\(line.path)")
            }
            print("FIGURE migrate-faults: \(stats.faultsTotal) damaged GetJobOutput answers, every copy exact")
        }
    }

    @Test func downloadsThatKeepFailingStopTheRunAndTheNextRunCarriesOn() async throws {
        let specs = (0 ..< 4).map { ("broken/\($0).bin", 2 * Self.mib + $0) }
        // Jobs complete 8 s after they start: time enough, on a loaded machine, to see the plan
        // made and turn the faults on before any output can be copied.
        try await MigrationFixture.with(jobDelay: 8, archives: specs) { f in
            _ = try await f.takeInventory()
            let child = try f.start()
            defer { child.kill9() }
            // Once the plan is made and the jobs started, every archive download arrives damaged.
            var planned = false
            let deadline = Date().addingTimeInterval(60)
            while !planned && Date() < deadline && child.isRunning {
                planned =
                    (try? f.store()?.setting("plan.complete")) == "1"
                    && ((try? f.store()?.archives(in: [.planned]).count) ?? 1) == 0
                if !planned { try await Task.sleep(nanoseconds: 5_000_000) }
            }
            #expect(planned, "the plan was made")
            try await f.emulator.setFaults(["flip": 1], seed: 3)
            let status = await child.waitAsync(timeout: 180)
            let output = child.output
            #expect(status == 1, "\(output.suffix(2000))")
            #expect(
                output.contains("downloading an output failed") && output.contains("run the same command again"),
                "\(output.suffix(2000))")
            #expect(f.destinationFiles().isEmpty && f.partialFiles().isEmpty, "no damaged byte reaches DIR")
            try await f.emulator.setFaults([:])
            let before = try await f.statistics()
            let (again, againOutput) = try await f.run()
            #expect(again == 0, "\(againOutput.suffix(2000))")
            let after = try await f.statistics()
            #expect(
                after.requests["InitiateJob"] == before.requests["InitiateJob"], "the jobs of the first run are used")
            #expect(try f.manifest().summary?.copied == Int64(specs.count))
        }
    }

    @Test func aWholeFileACrashLeftBeforeItsRenameIsUsedAndADamagedOneReplaced() async throws {
        let specs = [("left/whole.bin", 3 * Self.mib + 17), ("left/damaged.bin", 5000)]
        try await MigrationFixture.with(archives: specs) { f in
            _ = try await f.takeInventory()
            // What a kill leaves between a file's last write (or hand-over) and its rename: the
            // temporary name, whole; and for the other archive, its size of wrong bytes.
            try FileManager.default.createDirectory(atPath: f.destination + "/left", withIntermediateDirectories: true)
            func leftover(_ index: Int) -> String {
                f.destination + "/left/.glacierfs-partial-" + SHA256.hash(f.archives[index].archiveId).hex.prefix(20)
            }
            try Data(MigrationFixture.contents(index: 0, size: specs[0].1)).write(to: URL(fileURLWithPath: leftover(0)))
            try Data(repeating: 0x5A, count: specs[1].1).write(to: URL(fileURLWithPath: leftover(1)))
            let before = try await f.statistics()
            let (status, output) = try await f.run()
            #expect(status == 0, "\(output.suffix(2000))")
            let after = try await f.statistics()
            let fetched = (after.bytesByOperation["GetJobOutput"] ?? 0) - (before.bytesByOperation["GetJobOutput"] ?? 0)
            #expect(fetched < Int64(specs[0].1), "the whole leftover was not downloaded again: \(fetched) bytes")
            let (lines, summary) = try f.manifest()
            #expect(summary?.complete == true && lines.count == 2 && f.partialFiles().isEmpty)
            for line in lines {
                let source = try #require(f.archives.first { $0.archiveId == line.archiveId })
                #expect(try f.fileFacts(line.path).sha256 == source.sha256, "\(line.path)")
                #expect(line.computedTreeHash == source.treeHash)
            }
        }
    }

    @Test func aDamagedInventoryDownloadIsFetchedAgain() async throws {
        try await MigrationFixture.with(archives: [("inv/a.txt", 100), ("inv/b.txt", 200)]) { f in
            _ = try await f.takeInventory()
            // The first inventory download arrives whole in length but garbled (it carries no checksum).
            let inventoryJob = try #require(
                try await f.client.listJobs(vault: f.vault).jobs.first(where: \.isInventoryRetrieval))
            let size = Int(inventoryJob.inventorySizeInBytes ?? 0)
            try await f.emulator.overrideResponses(
                "GetJobOutput", status: 200, headers: ["Content-Type": "application/json"],
                body: String(repeating: "#", count: size), count: 1)
            let child = try f.start()
            defer { child.kill9() }
            let warned = await child.waitForLineAsync(timeout: 30) { $0.contains("downloading it again") }
            #expect(warned != nil, "\(child.output)")
            #expect(await child.waitAsync(timeout: 60) == 0, "\(child.output)")
            #expect(try f.manifest().summary?.copied == 2)
            let inventories = try await f.client.listJobs(vault: f.vault).jobs.filter(\.isInventoryRetrieval)
            #expect(inventories.count == 1, "no new inventory job for a damaged download")
        }
    }

    @Test func theDailyBudgetIsSpreadOverTheServiceDay() async throws {
        // 2400 KiB a day: at most 100 KiB in any hour, so one 60 KB archive an hour.
        var specs = (0 ..< 8).map { ("budget/\($0).dat", 60_000 + $0) }
        specs.append(("budget/large.dat", 150_000))  // above the hourly share: starts alone
        specs.append(("budget/too-big.dat", 2_500_000))  // above the daily cap: skipped
        try await MigrationFixture.with(jobDelay: 3600, archives: specs) { f in
            let inventoryJob = try await f.client.initiateInventoryRetrieval(vault: f.vault)
            try await f.emulator.advanceJobClock(by: 3600)
            try await Seed.waitForJob(f.client, vault: f.vault, jobId: inventoryJob.jobId)
            let child = try f.start(["--max-bytes-per-day", "2400K", "--max-jobs", "20"])
            defer { child.kill9() }
            var rounds = 0
            while child.isRunning && rounds < 30 {
                // Let the command do what the budget allows now, then move the service's clock on.
                try await Task.sleep(nanoseconds: 1_200_000_000)
                rounds += 1
                try await f.emulator.advanceJobClock(by: 3700)
            }
            let status = await child.waitAsync(timeout: 30)
            #expect(status == 0, "\(child.output.suffix(3000))")
            let jobs = try await f.client.listJobs(vault: f.vault).jobs.filter(\.isArchiveRetrieval)
            let starts = jobs.compactMap { j -> (Double, Int64)? in
                guard let c = j.creationDate.flatMap(GlacierTimestamp.parse), let s = j.archiveSizeInBytes else {
                    return nil
                }
                return (c.timeIntervalSince1970, s)
            }.sorted { $0.0 < $1.0 }
            #expect(starts.count == specs.count - 1, "one job per archive within the cap")
            let hourly: Int64 = 2400 * 1024 / 24
            for (time, size) in starts {
                let lastHour = starts.filter { $0.0 > time - 3600 && $0.0 <= time }.reduce(Int64(0)) { $0 + $1.1 }
                let lastDay = starts.filter { $0.0 > time - 86_400 && $0.0 <= time }.reduce(Int64(0)) { $0 + $1.1 }
                #expect(lastHour <= max(hourly, size), "\(lastHour) bytes started in the hour up to \(time)")
                #expect(lastDay <= 2400 * 1024, "\(lastDay) bytes started in the day up to \(time)")
            }
            let span = (starts.last?.0 ?? 0) - (starts.first?.0 ?? 0)
            #expect(span >= Double(starts.count - 1) * 3600, "the starts are spread over \(span / 3600) service hours")
            let (_, summary) = try f.manifest()
            #expect(summary?.copied == Int64(specs.count - 1) && summary?.skipped == 1)
            #expect(child.output.contains("larger than --max-bytes-per-day"))
            print(
                "FIGURE migrate-budget: \(starts.count) archives started over \(Int(span / 3600)) service hours at 2400 KiB/day"
            )
        }
    }

    @Test func throttlingAndMissingCapacityAreWaitedOut() async throws {
        let specs = (0 ..< 20).map { ("t/\($0).txt", 5_000 + $0 * 10) }
        try await MigrationFixture.with(archives: specs) { f in
            _ = try await f.takeInventory()
            try await f.emulator.setFaults(
                ["throttle": 0.3, "insufficient-capacity": 0.2], seed: 5, operations: ["InitiateJob"])
            let (status, output) = try await f.run(["--tier", "Expedited"], timeout: 120)
            #expect(status == 0, "\(output.suffix(3000))")
            let stats = try await f.statistics()
            #expect((stats.faults["throttle"] ?? 0) > 0 && (stats.faults["insufficient-capacity"] ?? 0) > 0)
            let jobs = try await f.client.listJobs(vault: f.vault).jobs.filter(\.isArchiveRetrieval)
            #expect(
                jobs.count == specs.count && Set(jobs.compactMap(\.archiveId)).count == specs.count,
                "one job per archive despite the refusals")
            #expect(jobs.allSatisfy { $0.tier == "Expedited" })
            let (_, summary) = try f.manifest()
            #expect(summary?.complete == true && summary?.copied == Int64(specs.count))
            print(
                "FIGURE migrate-throttle: \(stats.faults["throttle"] ?? 0) ThrottlingException and "
                    + "\(stats.faults["insufficient-capacity"] ?? 0) InsufficientCapacityException survived")
        }
    }

    @Test func aRetrievalPolicyStopsWithWhatToChangeAndLosesNothing() async throws {
        let specs = (0 ..< 5).map { ("p/\($0).txt", 3_000 + $0) }
        try await MigrationFixture.with(archives: specs) { f in
            _ = try await f.takeInventory()
            try await f.emulator.setFaults(["policy-enforced": 1], operations: ["InitiateJob"])
            let (status, output) = try await f.run(["--tier", "Standard"])
            #expect(status == 8, "exit code 8: refused by the service; \(output)")
            #expect(
                output.contains("PolicyEnforcedException") && output.contains("data retrieval policy")
                    && output.contains("--tier Bulk") && output.contains("--max-bytes-per-day"), "\(output)")
            let store = try #require(try f.store())
            #expect(try store.archives(in: [.retrieving]).isEmpty, "no intent is left behind")
            #expect(try store.ledger().isEmpty, "nothing is charged to the budget")
            try await f.emulator.setFaults([:], operations: ["InitiateJob"])
            let (again, againOutput) = try await f.run(["--tier", "Standard"])
            #expect(again == 0, "\(againOutput)")
            #expect(try f.manifest().summary?.copied == Int64(specs.count))
        }
    }

    @Test func aReadOnlyDestinationIsRefusedBeforeAnythingIsPaid() async throws {
        try await MigrationFixture.with(archives: [("r/a.txt", 100)]) { f in
            _ = try await f.takeInventory()
            try await SmallFilesystem.with(megabytes: 4, options: "ro") { dir in
                let g = MigrationFixture(
                    emulator: f.emulator, destination: dir, archives: f.archives, cacheDirectory: f.cacheDirectory)
                let before = try await f.statistics()
                let (status, output) = try await g.run()
                #expect(status == 1, "\(output)")
                #expect(output.contains("cannot write to") && output.contains("Read-only file system"), "\(output)")
                let after = try await f.statistics()
                #expect(after.requests["InitiateJob"] == before.requests["InitiateJob"], "nothing was started")
            }
        }
    }

    @Test func aFullDestinationStopsCleanlyAndTheNextRunCarriesOn() async throws {
        let specs = (0 ..< 8).map { ("full/\($0).bin", Self.mib + $0 * 1000) }
        try await MigrationFixture.with(archives: specs) { f in
            _ = try await f.takeInventory()
            try await SmallFilesystem.with(megabytes: 4) { dir in
                let g = MigrationFixture(
                    emulator: f.emulator, destination: dir, archives: f.archives, cacheDirectory: f.cacheDirectory)
                let (status, output) = try await g.run(["--parallel-copies", "2"])
                #expect(status == 1, "\(output)")
                #expect(
                    output.contains("destination is full") && output.contains("run the same command again"), "\(output)"
                )
                #expect(g.partialFiles().isEmpty, "no temporary file is left: \(g.partialFiles())")
                let bySha = Dictionary(f.archives.map { ($0.sha256, $0) }, uniquingKeysWith: { a, _ in a })
                let early = g.destinationFiles()
                #expect(!early.isEmpty && early.count < specs.count, "some archives fit: \(early)")
                for path in early { #expect(bySha[try g.fileFacts(path).sha256] != nil, "\(path) is whole") }

                try await SmallFilesystem.remount(dir, options: "size=64m")
                let (again, againOutput) = try await g.run()
                #expect(again == 0, "\(againOutput)")
                let (lines, summary) = try g.manifest()
                #expect(summary?.complete == true && summary?.copied == Int64(specs.count))
                for line in lines { #expect(bySha[try g.fileFacts(line.path).sha256]?.archiveId == line.archiveId) }
            }
        }
    }
}
