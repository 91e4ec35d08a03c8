import Foundation
import GlacierTestSupport
import Testing

/// A service that answers with garbage: each case gets a clear log line and the daemon keeps going.
@Suite(.serialized) struct HostileInputTests {
    @Test func oddVaultAndJobNamesNeverBecomePaths() async throws {
        try await ReliabilityFixture.with(sizes: [ReliabilityFixture.mib]) { (f: ReliabilityFixture) async throws in
            let long = String(repeating: "v", count: 300)
            let vaults = ["v", "../escape", "a/b", "nul\u{0}x", long, ".", "..", "ok-name"].map {
                "{\"VaultARN\":\"arn:aws:glacier:us-east-1:123456789012:vaults/x\",\"VaultName\":\(Self.json($0)),"
                    + "\"CreationDate\":\"2024-01-01T00:00:00.000Z\",\"NumberOfArchives\":0,\"SizeInBytes\":0}"
            }
            try await f.emulator.overrideResponses(
                "ListVaults", status: 200, headers: ["Content-Type": "application/json"],
                body: "{\"VaultList\":[\(vaults.joined(separator: ","))],\"Marker\":null}",
                count: 100)
            let goodJob = f.outputs[0].job
            let jobs = [goodJob, "../../etc/passwd", "a/b", "x\u{0}y", String(repeating: "J", count: 400), ".."].map {
                "{\"JobId\":\(Self.json($0)),\"Action\":\"ArchiveRetrieval\",\"StatusCode\":\"InProgress\",\"Completed\":false}"
            }
            try await f.emulator.overrideResponses(
                "ListJobs", status: 200, headers: ["Content-Type": "application/json"],
                body: "{\"JobList\":[\(jobs.joined(separator: ","))],\"Marker\":null}",
                count: 100)
            try await f.mount { (m: MountedFileSystem) async throws in
                #expect(Set(try FileManager.default.contentsOfDirectory(atPath: m.mountpoint)) == ["v", "ok-name"])
                #expect(try FileManager.default.contentsOfDirectory(atPath: m.path("v/jobs")) == [goodJob])
                #expect(m.log.contains("skipping a vault whose name cannot be a file name"))
                #expect(m.log.contains("skipping a job whose id cannot be a file name"))
                _ = try await m.status()  // the daemon still answers
                report("hostile names: 6 bad vault names and 5 bad job ids skipped with a log line each; daemon alive")
            }
        }
    }

    static func json(_ s: String) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: [s]), as: UTF8.self).dropFirst().dropLast()
            .description
    }

    @Test func aHugeListingIsFastAndSmall() async throws {
        let count = 10_000 * min(ReliabilityFixture.stress, 5)
        try await ReliabilityFixture.with(sizes: [ReliabilityFixture.mib]) { (f: ReliabilityFixture) async throws in
            try await f.emulator.createSyntheticJobs(vault: "v", count: count, archiveId: nil)
            try await f.mount { (m: MountedFileSystem) async throws in
                let started = Date()
                let ls = try await Command.shell("ls -l '\(m.path("v/jobs"))' | wc -l")
                let seconds = Date().timeIntervalSince(started)
                #expect(ls.status == 0)
                #expect(
                    Int(ls.output.trimmingCharacters(in: .whitespacesAndNewlines)) == count + 2,
                    "every job listed (+ the total line and the real job)")
                let rss = await m.daemonPeakRSS() ?? 0
                #expect(rss < 300 << 20)
                report(
                    "huge listing: \(count + 1) jobs, `ls -l` in \(String(format: "%.2f", seconds)) s, "
                        + "daemon peak RSS \(rss >> 20) MiB")
            }
        }
    }

    @Test func malformedListingsAreLoggedAndSurvived() async throws {
        try await ReliabilityFixture.with(sizes: [ReliabilityFixture.mib]) { (f: ReliabilityFixture) async throws in
            try await f.emulator.overrideResponses(
                "ListJobs", status: 200, headers: ["Content-Type": "application/json"],
                body: "{\"JobList\": [ {\"JobId\": ", count: 1000)
            try await f.mount(["--listing-ttl", "0.2"]) { (m: MountedFileSystem) async throws in
                let jobs = try FileManager.default.contentsOfDirectory(atPath: m.path("v/jobs"))
                #expect(jobs.isEmpty, "nothing cached, nothing listed")
                #expect(m.log.contains("could not list jobs"))
                _ = try await m.status()
            }
        }
    }

    @Test func negativeOrOverflowingSizesAreRefusedPerJob() async throws {
        let mib = ReliabilityFixture.mib
        try await ReliabilityFixture.with(sizes: [mib, mib, mib]) { (f: ReliabilityFixture) async throws in
            try await f.emulator.overrideJob(vault: "v", jobId: f.outputs[0].job, json: "{\"ArchiveSizeInBytes\": -5}")
            try await f.emulator.overrideJob(
                vault: "v", jobId: f.outputs[1].job,
                json: "{\"ArchiveSizeInBytes\": 99999999999999999999}")
            try await f.mount { (m: MountedFileSystem) async throws in
                let listed = Set(try FileManager.default.contentsOfDirectory(atPath: m.path("v/jobs")))
                #expect(
                    listed == [f.outputs[0].job, f.outputs[2].job], "the undecodable entry is skipped, the rest stay")
                #expect(
                    try FileManager.default.contentsOfDirectory(atPath: m.path("v/jobs/\(f.outputs[0].job)")) == [
                        "job.json"
                    ])
                let note = try String(contentsOfFile: m.path("v/jobs/\(f.outputs[0].job)/job.json"), encoding: .utf8)
                #expect(note.contains("ArchiveSizeInBytes is negative"))
                #expect(m.log.contains("skipping an unreadable job entry"))
                #expect(try await ReliabilityFixture.sha256(f.path(m, 2)) == f.sourceHashes()[2])
            }
        }
    }

    @Test func anOutputLargerThanTheCacheIsStillReadExactly() async throws {
        try await ReliabilityFixture.with(sizes: [96 * ReliabilityFixture.mib]) {
            (f: ReliabilityFixture) async throws in
            try await f.mount(["--cache-size", "16M"]) { (m: MountedFileSystem) async throws in
                #expect(try await ReliabilityFixture.sha256(f.path(m, 0)) == f.sourceHashes()[0])
                let status = try await m.status()
                #expect(status.cache.usedBytes <= 16 << 20)
                #expect(status.cache.evictions > 0)
            }
        }
    }
}
