import Foundation
import GlacierModel
import GlacierTestSupport
import Testing

/// `glacierfs migrate` against the emulator, start to finish, checked file by file.
@Suite(.serialized) struct MigrationEndToEndTests {
    static let mib = MigrationFixture.mib

    /// Descriptions as upload tools write them (MIGRATION-FACTS.md), plus the awkward cases.
    static let formatDescriptions: [String] = [
        "mt2 eyJmaWxlbmFtZSI6ImFwcDIuZGMuZnVicmEubmV0LnRhci5neiIsIm10aW1lIjoiMjAxNjA5MDZUMTYzNDUyWiJ9",
        "<m><v>4</v><p>Z2xhY2llci1kZy5wZGY=</p><lm>20120821T170824Z</lm><ce>0:0:d41d8cd98f00b204e9800998ecf8427e:14</ce></m>",
        "<m><v>3</v><p>L3NhbXBsZS8xMjM0LnBkZg==</p><lm>20120821T170824Z</lm><ce>0:0:d41d8cd98f00b204e9800998ecf8427e</ce></m>",
        "<ArchiveMetadata><Path>cmVwb3J0cy9xMS54bHN4</Path></ArchiveMetadata>",
        #"{"path": "/sample/qnap.pdf", "type": "file"}"#,
        #"{"Path":"CB+AF8-M5/B:/c01/notes.txt","UTCDateModified":"20100310T110623Z","Flags":0}"#,
        "No description.",
        "backup20190101tarGz",
        "../escape/attempt.txt",
        "/absolute/path/file.bin",
        "a name with spaces and (parentheses).txt",
    ]

    /// ≥ 300 archives: mixed sizes (empty to several MiB, on and off leaf boundaries), every
    /// description format, three duplicates of one name and two empty descriptions.
    static func vault() -> [(String, Int)] {
        var specs: [(String, Int)] = []
        let sizes = [0, 1, 100, 4096, 65_536, mib - 1, mib, mib + 1, 3 * mib + 5, 150_000]
        for (i, d) in formatDescriptions.enumerated() { specs.append((d, sizes[i % sizes.count] + i)) }
        specs += [("dup/same.txt", 1000), ("dup/same.txt", 2000), ("dup/same.txt", mib + 3)]
        specs += [("", 500), ("", 600)]
        specs.append(("big/eight-and-a-bit.bin", 8 * mib + 12_345))
        for i in 0..<290 {
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
            #expect(lines.count == f.archives.count && byId.count == f.archives.count, "one manifest line per archive")
            #expect(summary?.complete == true && summary?.copied == Int64(f.archives.count))
            #expect(summary?.failed == 0 && summary?.skipped == 0)
            #expect(f.destinationFiles() == Set(lines.map(\.path)), "DIR holds exactly the manifest's files")

            var copiedBytes: Int64 = 0
            for source in f.archives {
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
                if line.decoder == "plain" {
                    #expect(facts.mtime == Int(created.timeIntervalSince1970), "\(line.path): mtime is the CreationDate")
                }
                copiedBytes += Int64(source.size)
            }
            // Names: plain descriptions are used as given, made safe; empty ones go to _unnamed/<id>.
            let paths = Dictionary(grouping: f.archives, by: { $0.description })
            for source in f.archives where source.description.hasPrefix("photos/") || source.description == "big/eight-and-a-bit.bin" {
                #expect(byId[source.archiveId]?.path == source.description)
            }
            #expect(byId[paths["../escape/attempt.txt"]![0].archiveId]?.path == "__/escape/attempt.txt")
            #expect(byId[paths["/absolute/path/file.bin"]![0].archiveId]?.path == "absolute/path/file.bin")
            for source in paths[""]! { #expect(byId[source.archiveId]?.path == "_unnamed/\(source.archiveId)") }
            let duplicates = paths["dup/same.txt"]!.compactMap { byId[$0.archiveId]?.path }
            #expect(Set(duplicates).count == 3 && duplicates.contains("dup/same.txt"), "duplicates each get a file")
            #expect(duplicates.allSatisfy { $0 == "dup/same.txt" || ($0.hasPrefix("dup/same~") && $0.hasSuffix(".txt")) })

            // Nothing fetched twice, nothing started twice.
            let inventoryBytes = (after.bytesByOperation["GetJobOutput"] ?? 0) - (before.bytesByOperation["GetJobOutput"] ?? 0)
            let inventorySize = try await inventoryDocumentSize(f)
            let fetched = inventoryBytes - inventorySize
            let ratio = Double(fetched) / Double(copiedBytes)
            let initiated = (after.requests["InitiateJob"] ?? 0) - (before.requests["InitiateJob"] ?? 0)
            #expect(initiated == f.archives.filter { $0.size > 0 }.count, "one retrieval per non-empty archive")
            #expect(ratio <= 1.02 && ratio >= 1.0, "bytes fetched ÷ bytes copied = \(ratio)")
            print(String(format: "FIGURE migrate-300: %d archives, %lld bytes copied in %.1f s; fetched %lld job-output bytes; "
                         + "fetched ÷ copied = %.4f; InitiateJob calls %d", f.archives.count, copiedBytes, wall, fetched, ratio, initiated))

            // --verify agrees, and a second run does nothing at all.
            let (verified, verifyOutput) = try await f.run(arguments: ["migrate", "--verify", f.destination])
            #expect(verified == 0 && verifyOutput.contains("\(f.archives.count) files"), "\(verifyOutput)")
            let again = try await f.statistics()
            let (rerun, rerunOutput) = try await f.run()
            #expect(rerun == 0, "\(rerunOutput)")
            let last = try await f.statistics()
            #expect(last.requests["InitiateJob"] == again.requests["InitiateJob"], "a rerun starts no job")
            #expect(last.bytesByOperation["GetJobOutput"] == again.bytesByOperation["GetJobOutput"], "a rerun downloads nothing")
        }
    }

    func inventoryDocumentSize(_ f: MigrationFixture) async throws -> Int64 {
        let jobs = try await f.client.listJobs(vault: f.vault)
        return jobs.jobs.filter(\.isInventoryRetrieval).compactMap(\.inventorySizeInBytes).max() ?? 0
    }
}
