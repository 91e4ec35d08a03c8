import Foundation
import GlacierModel
import GlacierTestSupport
import Migration
import OutputCache
import Testing

/// The command's other faces: --dry-run, --status, --verify, filters, --keep-cache, --sns-topic and
/// usage errors.
@Suite(.serialized) struct MigrationCommandTests {
    static let topic = "arn:aws:sns:us-east-1:123456789012:glacier-done"

    @Test func dryRunEstimatesFromTheInventoryAndStartsNothing() async throws {
        let specs = (0 ..< 5).map { ("dry/\($0).bin", 200_000 * ($0 + 1)) }
        try await MigrationFixture.with(archives: specs) { f in
            let (none, noneOutput) = try await f.run(["--dry-run"])
            #expect(
                none == 1 && noneOutput.contains("no readable inventory") && noneOutput.contains("glacierfs inventory"),
                "\(noneOutput)")
            _ = try await f.takeInventory()
            let before = try await f.statistics()
            let (status, output) = try await f.run(["--dry-run", "--tier", "Standard", "--max-bytes-per-day", "1M"])
            #expect(status == 0, "\(output)")
            let total = specs.reduce(0) { $0 + $1.1 }
            for expected in [
                "dry run: nothing was started", "archives to copy:   5", "bytes to retrieve:  \(total)",
                "retrieval requests: 5 InitiateJob calls, tier Standard", "days at --max-bytes-per-day 1048576",
                "3–5 hours", "estimated cost:", "(estimate;", MigrationEstimate.Prices.takenOn,
            ] {
                #expect(output.contains(expected), "missing '\(expected)' in:\n\(output)")
            }
            let after = try await f.statistics()
            #expect(after.requests["InitiateJob"] == before.requests["InitiateJob"], "a dry run starts nothing")
            #expect(!FileManager.default.fileExists(atPath: f.destination + "/.glacierfs"), "and writes nothing")
        }
    }

    @Test func keepCacheCopiesAndLeavesEveryArchiveCachedForAMount() async throws {
        // Whole leaves, a short last leaf, and an archive smaller than a block: direct and buffered writes.
        let specs = [
            ("k/a.bin", 3 * MigrationFixture.mib + 4097), ("k/b.bin", 2 * MigrationFixture.mib), ("k/c.txt", 1000),
        ]
        try await MigrationFixture.with(archives: specs) { f in
            _ = try await f.takeInventory()
            let (status, output) = try await f.run(["--keep-cache"])
            #expect(status == 0, "\(output)")
            let (lines, summary) = try f.manifest()
            #expect(summary?.complete == true && lines.count == specs.count)
            for line in lines {
                let source = try #require(f.archives.first { $0.archiveId == line.archiveId })
                #expect(try f.fileFacts(line.path).sha256 == source.sha256, "\(line.path)")
            }
            let archives = OutputCache.inspect(directory: f.cacheDirectory).outputs.filter { $0.kind == .archive }
            #expect(archives.count == specs.count, "every archive stays cached: \(archives.map(\.key.jobId))")
            #expect(archives.allSatisfy { $0.verificationSummary == "complete (root matched)" })
        }
    }

    @Test func filtersStatusAndVerifyTellTheTruth() async throws {
        let specs = [("keep/a.txt", 1000), ("keep/b.tmp", 1000), ("keep/deep/c.txt", 3000), ("drop/d.txt", 100)]
        try await MigrationFixture.with(archives: specs) { f in
            _ = try await f.takeInventory()
            let (status, output) = try await f.run(["--include", "keep/*", "--exclude", "*.tmp"])
            #expect(status == 0, "\(output)")
            #expect(f.destinationFiles() == ["keep/a.txt", "keep/deep/c.txt"])
            #expect(output.contains("not selected by --include/--exclude"))
            let (lines, summary) = try f.manifest()
            #expect(lines.count == 2 && summary?.skipped == 2 && summary?.complete == true)

            let (shown, statusOutput) = try await f.run(arguments: ["migrate", "--status", f.destination])
            #expect(shown == 0, "\(statusOutput)")
            #expect(
                statusOutput.contains("vault:      \(f.vault)")
                    && statusOutput.contains("copied      2 archives, 4000 bytes")
                    && statusOutput.contains("skipped     2 archives"), "\(statusOutput)")

            // --verify notices one changed byte.
            let victim = f.destination + "/keep/deep/c.txt"
            var bytes = try Data(contentsOf: URL(fileURLWithPath: victim))
            bytes[10] ^= 0xff
            try bytes.write(to: URL(fileURLWithPath: victim))
            let (verified, verifyOutput) = try await f.run(arguments: ["migrate", "--verify", f.destination])
            #expect(
                verified == 9 && verifyOutput.contains("differs: keep/deep/c.txt")
                    && verifyOutput.contains("1 of 2 files"),
                "\(verifyOutput)")

            // The plan keeps its filters: other ones on a rerun are named and ignored.
            let (rerun, rerunOutput) = try await f.run(["--include", "drop/*"])
            #expect(
                rerun == 0 && rerunOutput.contains("are ignored") && f.destinationFiles().count == 2, "\(rerunOutput)")

            let elsewhere = (f.destination as NSString).deletingLastPathComponent + "/nothing-here"
            try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
            let (missing, missingOutput) = try await f.run(arguments: ["migrate", "--status", elsewhere])
            #expect(missing == 64 && missingOutput.contains("no migration state"), "\(missingOutput)")
            let (other, otherOutput) = try await f.run(arguments: [
                "migrate", "another-vault", "--to", f.destination,
                "--endpoint", f.emulator.endpoint,
            ])
            #expect(other == 64 && otherOutput.contains("holds a migration of vault '\(f.vault)'"), "\(otherOutput)")
        }
    }

    @Test func snsTopicReachesInitiateJobOnEveryCommand() async throws {
        try await MigrationFixture.with(archives: [("s/one.bin", 5000), ("s/two.bin", 6000)]) { f in
            let service = ["--endpoint", f.emulator.endpoint]
            let (retrieved, retrieveOutput) = try await f.run(
                arguments: [
                    "retrieve", f.vault, f.archives[0].archiveId,
                    "--sns-topic", Self.topic,
                ] + service)
            #expect(retrieved == 0, "\(retrieveOutput)")
            let (inventoried, inventoryOutput) = try await f.run(
                arguments: ["inventory", f.vault, "--sns-topic", Self.topic] + service)
            #expect(inventoried == 0, "\(inventoryOutput)")
            let started = try await f.client.listJobs(vault: f.vault).jobs
            #expect(
                started.count == 2 && started.allSatisfy { $0.snsTopic == Self.topic }, "\(started.map(\.snsTopic))")
            for job in started {
                #expect(try await f.client.describeJob(vault: f.vault, jobId: job.jobId).snsTopic == Self.topic)
            }

            let (migrated, migrateOutput) = try await f.run(["--sns-topic", Self.topic, "--fresh-inventory"])
            #expect(migrated == 0, "\(migrateOutput)")
            let all = try await f.client.listJobs(vault: f.vault).jobs
            #expect(all.count == 4, "the inventory and one retrieval started by migrate; the earlier retrieval reused")
            #expect(all.allSatisfy { $0.snsTopic == Self.topic })

            let (bad, badOutput) = try await f.run(
                arguments: ["inventory", f.vault, "--sns-topic", "my-topic"] + service)
            #expect(bad == 64 && badOutput.contains("--sns-topic must be an SNS topic ARN"), "\(badOutput)")
        }
    }

    @Test func progressIsPlainLinesWithoutATerminal() async throws {
        try await MigrationFixture.with(jobDelay: 1.5, archives: (0 ..< 6).map { ("p/\($0).bin", 400_000) }) { f in
            _ = try await f.takeInventory()
            let (status, output) = try await f.run()
            #expect(status == 0, "\(output)")
            #expect(!output.contains("\u{1B}[") && !output.contains("\r"), "no terminal control codes in a log")
            #expect(output.contains("archives, ") && output.contains("jobs in flight"), "\(output)")
            #expect(output.contains("next completion: the oldest job started"), "\(output)")
            #expect(output.contains("copied 6 archives") && output.contains("manifest: "), "\(output)")
        }
    }
}
