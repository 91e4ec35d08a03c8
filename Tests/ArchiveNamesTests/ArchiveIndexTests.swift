import ArchiveIndex
import ArchiveNames
import Foundation
import GlacierModel
import Testing

@Suite struct ArchiveIndexTests {
    func withDirectory<T>(_ body: (String) throws -> T) throws -> T {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("archive-index-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        return try body(dir)
    }

    func source(_ job: String, _ count: Int) -> ArchiveIndex.Source {
        ArchiveIndex.Source(
            inventoryJobId: job, inventoryDate: "2015-02-04T00:00:00Z", format: "JSON", archiveCount: count)
    }

    @Test func theIndexHoldsTheTreeAndIsReusedOnlyForItsInventory() throws {
        try withDirectory { dir in
            let hash = String(repeating: "AB", count: 32)
            let archives = [
                InventoryArchive(
                    archiveId: "ID1",
                    archiveDescription: "mt2 "
                        + base64url(Array(#"{"filename":"a/b/c.txt","mtime":"20200101T000000Z"}"#.utf8)),
                    creationDate: "2021-01-01T00:00:00Z", size: 5, sha256TreeHash: hash),
                InventoryArchive(
                    archiveId: "ID2", archiveDescription: #"{"Path":"a\\d.bin","Flags":2}"#,
                    creationDate: "2021-01-02T00:00:00Z", size: 7, sha256TreeHash: hash),
                InventoryArchive(
                    archiveId: "ID3", archiveDescription: "", creationDate: "2021-01-03T00:00:00Z", size: 0,
                    sha256TreeHash: hash),
            ]
            let path = dir + "/v.sqlite"
            let index = try ArchiveIndex.build(
                path: path, source: source("JOB1", 3), archives: archives,
                tree: ArchiveTree.build(archives))
            #expect(index.source == source("JOB1", 3))
            let root = try index.children(of: ArchiveIndex.rootId)
            #expect(root.map(\.name) == ["_unnamed", "a"])
            #expect(root.allSatisfy { $0.isDirectory })
            let a = try #require(try index.child(of: ArchiveIndex.rootId, named: "a"))
            #expect(try index.children(of: a.id).map(\.name) == ["b", "d.bin"])
            let d = try #require(try index.child(of: a.id, named: "d.bin"))
            #expect(d.archiveId == "ID2")
            #expect(d.size == 7)
            #expect(d.flags == .encrypted)
            #expect(d.decoder == "cloudberry")
            #expect(d.treeHash == hash.lowercased(), "tree hashes are kept in lower case")
            #expect(d.description == #"{"Path":"a\\d.bin","Flags":2}"#)
            #expect(d.created == 1_609_545_600)
            let b = try #require(try index.child(of: a.id, named: "b"))
            let c = try #require(try index.child(of: b.id, named: "c.txt"))
            #expect(c.modified == 1_577_836_800)
            #expect(try index.path(of: c.id) == "a/b/c.txt")
            #expect(try index.files(archiveId: "ID1").map(\.id) == [c.id])
            #expect(a.modified == 1_609_545_600, "the newest below a: d.bin's creation date")
            #expect(try index.child(of: a.id, named: "missing") == nil)

            #expect(ArchiveIndex.open(path: path, inventoryJobId: "JOB1")?.source == source("JOB1", 3))
            #expect(ArchiveIndex.open(path: path, inventoryJobId: "JOB2") == nil, "another inventory needs a new index")
            #expect(ArchiveIndex.open(path: dir + "/none.sqlite", inventoryJobId: "JOB1") == nil)
            try Data("not sqlite".utf8).write(to: URL(fileURLWithPath: dir + "/junk.sqlite"))
            #expect(ArchiveIndex.open(path: dir + "/junk.sqlite", inventoryJobId: "JOB1") == nil)

            let rebuilt = try ArchiveIndex.build(
                path: path, source: source("JOB2", 1), archives: [archives[0]],
                tree: ArchiveTree.build([archives[0]]))
            #expect(try rebuilt.children(of: ArchiveIndex.rootId).map(\.name) == ["a"])
            #expect(
                try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["junk.sqlite", "v.sqlite"],
                "no temporary file is left behind")
        }
    }

    /// Correctness at 200,000 archives; the time is reported (see the benchmark for figures).
    @Test func twoHundredThousandArchives() throws {
        try withDirectory { dir in
            let archives = SyntheticVault.archives(count: 200_000)
            let clock = ContinuousClock()
            var index: ArchiveIndex?
            let elapsed = try clock.measure {
                index = try ArchiveIndex.build(
                    path: dir + "/big.sqlite", source: source("J", archives.count),
                    archives: archives, tree: ArchiveTree.build(archives))
            }
            print("ArchiveIndex.build (decode, tree, SQLite) of 200,000 archives: \(elapsed)")
            let big = try #require(index)
            var files = 0
            var pending = [ArchiveIndex.rootId]
            while let next = pending.popLast() {
                for child in try big.children(of: next) {
                    if child.isDirectory { pending.append(child.id) } else { files += 1 }
                }
            }
            #expect(files == 200_000)
        }
    }
}
