import Foundation
import GlacierModel
import GlacierTestSupport
import Migration
import OutputCache
import Testing

/// `glacierfs migrate` against the emulator, start to finish, checked file by file.
@Suite(.serialized) struct MigrationEndToEndTests {
    static let mib = MigrationFixture.mib

    /// Descriptions as upload tools write them (the published examples in MIGRATION-FACTS.md), with
    /// the path, decoder and mtime each must give; nil mtime: the archive's CreationDate.
    static let formats: [(description: String, path: String, decoder: String, mtime: String?)] = [
        (
            "mt2 eyJmaWxlbmFtZSI6ImFwcDIuZGMuZnVicmEubmV0LnRhci5neiIsIm10aW1lIjoiMjAxNjA5MDZUMTYzNDUyWiJ9",
            "app2.dc.fubra.net.tar.gz", "mt2", "2016-09-06T16:34:52Z"
        ),
        (
            "<m><v>4</v><p>Z2xhY2llci1kZy5wZGY=</p><lm>20120821T170824Z</lm><ce>0:0:d41d8cd98f00b204e9800998ecf8427e:14</ce></m>",
            "glacier-dg.pdf", "fastglacier-v4", "2012-08-21T17:08:24Z"
        ),
        (
            "<m><v>3</v><p>L3NhbXBsZS8xMjM0LnBkZg==</p><lm>20130102T030405Z</lm><ce>0:0:d41d8cd98f00b204e9800998ecf8427e</ce></m>",
            "sample/1234.pdf", "fastglacier-v3", "2013-01-02T03:04:05Z"
        ),
        (
            "<ArchiveMetadata><Path>cmVwb3J0cy9xMS54bHN4</Path></ArchiveMetadata>", "reports/q1.xlsx", "fastglacier-v1",
            nil
        ),
        (#"{"path": "/sample/qnap.pdf", "type": "file"}"#, "sample/qnap.pdf", "qnap-json", nil),
        (
            #"{"Path":"CB+AF8-M5/B:/c01/notes.txt","UTCDateModified":"20100310T110623Z","Flags":0}"#,
            "CB_M5/B/c01/notes.txt", "cloudberry", "2010-03-10T11:06:23Z"
        ),
        ("No description.", "No description.", "plain-text", nil),
        ("../escape/attempt.txt", "%2E%2E/escape/attempt.txt", "plain-text", nil),
        ("/absolute/path/file.bin", "absolute/path/file.bin", "plain-text", nil),
        ("a name with spaces and (parentheses).txt", "a name with spaces and (parentheses).txt", "plain-text", nil),
    ]

    /// Archives that are not files to copy: a FastGlacier directory marker, and a name that would land
    /// in the migration's own state directory.
    static let notCopied: [(description: String, reason: String)] = [
        (
            "<m><v>4</v><p>YWxidW1zLw==</p><lm>20120821T170824Z</lm><ce>0:0:d41d8cd98f00b204e9800998ecf8427e:1</ce></m>",
            "directory marker"
        ),
        (".glacierfs/migration.sqlite", "DIR/.glacierfs"),
    ]

    /// ≥ 300 archives: mixed sizes (empty to several MiB, on and off leaf boundaries), every
    /// description format, three duplicates of one name and two empty descriptions.
    static func vault() -> [(String, Int)] {
        var specs: [(String, Int)] = []
        let sizes = [0, 1, 100, 4096, 65_536, mib - 1, mib, mib + 1, 3 * mib + 5, 150_000]
        for (i, f) in formats.enumerated() { specs.append((f.description, sizes[i % sizes.count] + i)) }
        specs += [("dup/same.txt", 1000), ("dup/same.txt", 2000), ("dup/same.txt", mib + 3)]
        specs += [("", 500), ("", 600)]
        specs.append(("big/eight-and-a-bit.bin", 8 * mib + 12_345))
        specs += Self.notCopied.map { ($0.description, 1) }
        for i in 0 ..< 290 {
            let size = i % 29 == 0 ? 2 * mib + i : i % 7 == 0 ? 0 : (i * 7919) % 90_000 + 1
            specs.append(("photos/\(2000 + i % 20)/img_\(String(format: "%04d", i)).jpg", size))
        }
        return specs
    }

    @Test func aWholeVaultArrivesByteForByteWithItsNamesMtimesAndAManifest() async throws {
        try await MigrationFixture.with(archives: Self.vault()) { f in
            let inventory = try await f.takeInventory()
            #expect(inventory.count == f.archives.count)
            let before = try await f.statistics()
            let started = Date()
            let (status, output) = try await f.run(["--max-jobs", "400", "--parallel-copies", "8"])
            let wall = Date().timeIntervalSince(started)
            #expect(status == 0, "\(output.suffix(3000))")
            let after = try await f.statistics()

            let (lines, summary) = try f.manifest()
            let byId = Dictionary(lines.map { ($0.archiveId, $0) }, uniquingKeysWith: { a, _ in a })
            let copiedSources = f.archives.filter { s in !Self.notCopied.contains { $0.description == s.description } }
            #expect(
                lines.count == copiedSources.count && byId.count == copiedSources.count,
                "one manifest line per archive copied")
            #expect(summary?.complete == true && summary?.copied == Int64(copiedSources.count))
            #expect(summary?.failed == 0 && summary?.skipped == Int64(Self.notCopied.count))
            let skipped = try #require(try f.store()).archives(in: [.skipped])
            for item in Self.notCopied {
                let source = try #require(f.archives.first { $0.description == item.description })
                #expect(
                    skipped.first { $0.archiveId == source.archiveId }?.reason?.contains(item.reason) == true, "\(item)"
                )
            }
            #expect(f.destinationFiles() == Set(lines.map(\.path)), "DIR holds exactly the manifest's files")

            // The cache is on DIR's filesystem: every archive's cached file became its copy (a
            // hand-over, not a second write), and left the cache; only the inventory stays.
            let cached = OutputCache.inspect(directory: f.cacheDirectory).outputs
            #expect(
                cached.allSatisfy { $0.kind == .inventory },
                "\(cached.map { "\($0.key.jobId) \($0.kind) \($0.cachedBytes)/\($0.size) \($0.verificationSummary)" })")
            let umaskNow = umask(0o022)
            umask(umaskNow)
            var copiedBytes: Int64 = 0
            for source in copiedSources {
                guard let line = byId[source.archiveId] else {
                    Issue.record("archive \(source.archiveId) (\(source.description)) is not in the manifest")
                    continue
                }
                let facts = try f.fileFacts(line.path)
                #expect(facts.sha256 == source.sha256, "\(line.path): bytes differ from the source")
                #expect(line.size == Int64(source.size) && line.description == source.description)
                #expect(line.inventoryTreeHash == source.treeHash && line.computedTreeHash == source.treeHash)
                if source.size > 0 { #expect(line.jobId != nil && line.tier == "Bulk", "default tier is Bulk") }
                let listed = try #require(inventory[source.archiveId])
                let created = try #require(GlacierTimestamp.parse(listed.creationDate))
                #expect(line.creationDate == inventory[source.archiveId]?.creationDate)
                let format = Self.formats.first { $0.description == source.description }
                let mtime = format?.mtime.flatMap(GlacierTimestamp.parse) ?? created
                #expect(facts.mtime == Int(mtime.timeIntervalSince1970), "\(line.path): mtime")
                #expect(facts.mode == 0o644 & ~umaskNow, "\(line.path): mode \(String(facts.mode, radix: 8))")
                if let format {
                    #expect(line.path == format.path && line.decoder == format.decoder, "\(source.description)")
                }
                copiedBytes += Int64(source.size)
            }
            // Plain names are used as given; empty ones go to _unnamed/<id>; of duplicates the newest
            // keeps the name and the others get ~<CreationDate>~<id prefix>.
            let paths = Dictionary(grouping: f.archives, by: { $0.description })
            for source in f.archives
            where source.description.hasPrefix("photos/") || source.description == "big/eight-and-a-bit.bin" {
                #expect(byId[source.archiveId]?.path == source.description)
            }
            for source in paths[""]! {
                #expect(
                    byId[source.archiveId]?.path == "_unnamed/\(source.archiveId)"
                        && byId[source.archiveId]?.decoder == "unnamed")
            }
            let duplicates = paths["dup/same.txt"]!.sorted { $0.archiveId > $1.archiveId }
            let created = inventory[duplicates[0].archiveId]!.creationDate
            if duplicates.allSatisfy({ inventory[$0.archiveId]!.creationDate == created }) {
                #expect(
                    byId[duplicates[0].archiveId]?.path == "dup/same.txt",
                    "equal dates: the greater archive id keeps the name")
            }
            let duplicatePaths = duplicates.compactMap { byId[$0.archiveId]?.path }
            #expect(
                Set(duplicatePaths).count == 3 && duplicatePaths.contains("dup/same.txt"), "duplicates each get a file")
            #expect(
                duplicatePaths.allSatisfy { $0 == "dup/same.txt" || $0.hasPrefix("dup/same.txt~") }, "\(duplicatePaths)"
            )

            // Nothing fetched twice, nothing started twice.
            let inventoryBytes =
                (after.bytesByOperation["GetJobOutput"] ?? 0) - (before.bytesByOperation["GetJobOutput"] ?? 0)
            let inventorySize = try await inventoryDocumentSize(f)
            let fetched = inventoryBytes - inventorySize
            let ratio = Double(fetched) / Double(copiedBytes)
            let initiated = (after.requests["InitiateJob"] ?? 0) - (before.requests["InitiateJob"] ?? 0)
            #expect(
                initiated == copiedSources.filter { $0.size > 0 }.count, "one retrieval per non-empty archive copied")
            #expect(ratio <= 1.02 && ratio >= 1.0, "bytes fetched ÷ bytes copied = \(ratio)")
            print(
                String(
                    format:
                        "FIGURE migrate-300: %d archives, %lld bytes copied in %.1f s; fetched %lld job-output bytes; "
                        + "fetched ÷ copied = %.4f; InitiateJob calls %d", copiedSources.count, copiedBytes, wall,
                    fetched, ratio, initiated))

            // --verify agrees, and a second run does nothing at all.
            let (verified, verifyOutput) = try await f.run(arguments: ["migrate", "--verify", f.destination])
            #expect(
                verified == 0 && verifyOutput.contains("\(copiedSources.count) of \(copiedSources.count) files"),
                "\(verifyOutput)")
            let again = try await f.statistics()
            let (rerun, rerunOutput) = try await f.run()
            #expect(rerun == 0, "\(rerunOutput)")
            let last = try await f.statistics()
            #expect(last.requests["InitiateJob"] == again.requests["InitiateJob"], "a rerun starts no job")
            #expect(
                last.bytesByOperation["GetJobOutput"] == again.bytesByOperation["GetJobOutput"],
                "a rerun downloads nothing")
        }
    }

    func inventoryDocumentSize(_ f: MigrationFixture) async throws -> Int64 {
        let jobs = try await f.client.listJobs(vault: f.vault)
        return jobs.jobs.filter(\.isInventoryRetrieval).compactMap(\.inventorySizeInBytes).max() ?? 0
    }
}
