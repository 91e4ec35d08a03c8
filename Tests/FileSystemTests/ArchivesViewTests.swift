import Foundation
import GlacierClient
import GlacierModel
import GlacierTestSupport
import Testing

/// `<vault>/archives/`, mounted for real over the emulator, read with find, stat, cat, getfattr and rsync.
@Suite(.serialized) struct ArchivesViewTests {
    static func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }
    static func base64url(_ text: String) -> String {
        base64(Array(text.utf8)).replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
    static func fastGlacier(_ path: [UInt8], modified: String = "20120821T170824Z") -> String {
        "<m><v>4</v><p>\(base64(path))</p><lm>\(modified)</lm><ce>0:0:4340ebcf79712dc5e3ef7d50bab98ba5:54687</ce></m>"
    }

    static func xattr(_ name: String, _ path: String) async throws -> String {
        let r = try await Command.run("/usr/bin/getfattr", ["--absolute-names", "--only-values", "-n", name, path])
        return r.status == 0 ? r.output : "(error \(r.status): \(r.output))"
    }

    /// A vault of archives in every description format, with duplicates and hostile names, an
    /// inventory, three completed retrievals and one still in progress.
    struct Vault {
        var ids: [String: String] = [:]
        var files: [String: URL] = [:]
        var jobs: [String: String] = [:]
    }

    static func seed(_ emulator: EmulatorProcess, in dir: URL) async throws -> Vault {
        let client = emulator.client()
        try await client.createVault("v")
        var vault = Vault()
        let uploads: [(String, String, Int)] = [
            (
                "wedding", "mt2 " + base64url(#"{"filename":"photos/2014/wedding.tar","mtime":"20140607T120000Z"}"#),
                3 << 20
            ),
            ("report", fastGlacier(Array("docs/report.pdf".utf8)), 5000),
            ("cafe", #"{"Path":"C:\\Users\\me\\caf+AOk-.txt","UTCDateModified":"20100310T110623Z","Flags":3}"#, 100),
            ("qnap", #"{"path": "/sample/1234.pdf", "type": "file"}"#, 200),
            ("notesOld", "notes.txt", 300),
            ("notesNew", "notes.txt", 400),
            ("unnamed", "", 10),
            ("marker", fastGlacier(Array("emptydir/".utf8), modified: "20050101T000000Z"), 1),
            ("traversal", "../../etc/passwd", 20),
            ("hostile", fastGlacier(Array("bad".utf8) + [0] + Array("name".utf8) + [0xFF] + Array(".bin".utf8)), 30),
            ("long", fastGlacier(Array(String(repeating: "L", count: 300).utf8)), 40),
            ("fileIsDir", "photos", 50),
        ]
        for (label, description, size) in uploads {
            var file = try Seed.randomFile(size: size, in: dir)
            if label == "report" {
                file = dir.appendingPathComponent("report.pdf")
                try Data("%PDF-1.4\n".utf8 + Data(repeating: 0x41, count: size)).write(to: file)
            }
            vault.files[label] = file
            // An empty description is sent as none: the client's signed empty header does not survive libcurl.
            vault.ids[label] = try await client.uploadArchive(
                vault: "v", file: file.path,
                description: description.isEmpty ? nil : description
            ).archiveId
            // CreationDate has millisecond precision: keep re-uploads apart.
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        vault.jobs["inventory"] = try await client.initiateInventoryRetrieval(vault: "v", format: "JSON").jobId
        // Uploaded after the inventory was taken: only its retrieval job names it.
        vault.files["late"] = try Seed.randomFile(size: 60, in: dir)
        vault.ids["late"] = try await client.uploadArchive(
            vault: "v", file: vault.files["late"]!.path,
            description: "late.txt"
        ).archiveId
        vault.jobs["late"] = try await client.initiateArchiveRetrieval(vault: "v", archiveId: vault.ids["late"]!).jobId
        for label in ["wedding", "report", "notesNew"] {
            vault.jobs[label] = try await client.initiateArchiveRetrieval(vault: "v", archiveId: vault.ids[label]!)
                .jobId
        }
        try await emulator.advanceJobClock(by: 3601)
        for job in vault.jobs.values { try await Seed.waitForJob(client, vault: "v", jobId: job) }
        vault.jobs["qnap"] = try await client.initiateArchiveRetrieval(vault: "v", archiveId: vault.ids["qnap"]!).jobId
        return vault
    }

    /// Every path below `root`, relative to it, with a trailing `/` for directories.
    static func tree(_ root: String) async throws -> Set<String> {
        let r = try await Command.run("/usr/bin/find", [root, "-mindepth", "1", "-printf", "%P%y\\n"])
        #expect(r.status == 0, "find: \(r.output.prefix(300))")
        return Set(
            r.output.split(separator: "\n").map { line in
                line.hasSuffix("d") ? String(line.dropLast()) + "/" : String(line.dropLast())
            })
    }

    @Test func namesDatesCollisionsReadsAndFailures() async throws {
        try await EmulatorProcess.with(jobDelay: 3600) { emulator in
            try await TempDirectory.with("archives") { dir in
                let v = try await Self.seed(emulator, in: dir)
                let cache = dir.appendingPathComponent("cache").path
                try await MountedFileSystem.with(
                    endpoint: emulator.endpoint, environment: emulator.environment,
                    cacheDirectory: cache
                ) { m in
                    let root = m.path("v/archives")
                    let paths = try await Self.tree(root)
                    let id8 = { (label: String) in String(v.ids[label]!.prefix(8)) }
                    let longName = paths.first { $0.hasPrefix("LLLL") }
                    let expected: Set<String> = [
                        "photos/", "photos/2014/", "photos/2014/wedding.tar", "docs/", "docs/report.pdf",
                        "C/", "C/Users/", "C/Users/me/", "C/Users/me/café.txt", "sample/", "sample/1234.pdf",
                        "notes.txt", "_unnamed/", "_unnamed/\(v.ids["unnamed"]!)", "_unnamed/\(v.ids["late"]!)",
                        "emptydir/",
                        "%2E%2E/", "%2E%2E/%2E%2E/", "%2E%2E/%2E%2E/etc/", "%2E%2E/%2E%2E/etc/passwd",
                        "bad%00name%FF.bin",
                    ]
                    #expect(expected.isSubset(of: paths), "missing: \(expected.subtracting(paths).sorted())")
                    let suffixed = paths.subtracting(expected).subtracting([longName ?? ""])
                    #expect(suffixed.count == 2, "\(suffixed.sorted())")
                    #expect(
                        suffixed.contains { $0.hasPrefix("notes.txt~") && $0.hasSuffix("~" + id8("notesOld")) },
                        "the older re-upload is renamed: \(suffixed.sorted())")
                    #expect(
                        suffixed.contains { $0.hasPrefix("photos~") && $0.hasSuffix("~" + id8("fileIsDir")) },
                        "a file named like a directory is renamed: \(suffixed.sorted())")
                    #expect(
                        longName.map { $0.utf8.count == 255 && $0.hasPrefix(String(repeating: "L", count: 200)) }
                            == true)

                    // Dates: the recorded mtime, CreationDate as ctime, directories the newest below.
                    let wedding = root + "/photos/2014/wedding.tar"
                    let stat = try await Command.run(
                        "/usr/bin/stat",
                        [
                            "-c", "%Y %Z %s", wedding, root + "/photos/2014",
                            root + "/emptydir",
                        ])
                    let fields = stat.output.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
                    #expect(fields.count == 3, "\(stat.output)")
                    #expect(fields.first?[0] == "1402142400", "wedding.tar's mtime is mt2's 20140607T120000Z")
                    let ctime = Double(fields.first?[1] ?? "") ?? 0
                    #expect(abs(ctime - Date().timeIntervalSince1970) < 900, "ctime is the upload's CreationDate")
                    #expect(fields.first?[2] == String(3 << 20))
                    #expect(fields.dropFirst().first?[0] == "1402142400", "photos/2014 takes the newest mtime below")
                    #expect(fields.last?[0] == "1104537600", "the FastGlacier directory marker's mtime (20050101)")

                    // Reading through archives/ and then jobs/ fetches once and caches once.
                    let before = try await emulator.requests("GetJobOutput")
                    #expect(
                        try Data(contentsOf: URL(fileURLWithPath: wedding)) == Data(contentsOf: v.files["wedding"]!))
                    var fetched = try await emulator.requests("GetJobOutput")
                    #expect(fetched > before)
                    let jobOutput = m.path("v/jobs/\(v.jobs["wedding"]!)/output")
                    #expect(
                        try Data(contentsOf: URL(fileURLWithPath: jobOutput)) == Data(contentsOf: v.files["wedding"]!))
                    #expect(
                        try await emulator.requests("GetJobOutput") == fetched,
                        "the job's output is the same cache entry")
                    #expect(
                        try Data(contentsOf: URL(fileURLWithPath: root + "/_unnamed/\(v.ids["late"]!)"))
                            == Data(contentsOf: v.files["late"]!), "an archive only its retrieval job names is readable"
                    )
                    fetched = try await emulator.requests("GetJobOutput")

                    // An archive with no output fails at once, without a request, and says why.
                    let started = Date()
                    let never = try await Command.run("/bin/cat", [root + "/C/Users/me/café.txt"])
                    #expect(never.status != 0 && never.output.contains("No data available"), "\(never.output)")
                    let running = try await Command.run("/bin/cat", [root + "/sample/1234.pdf"])
                    #expect(
                        running.status != 0 && running.output.contains("Resource temporarily unavailable"),
                        "\(running.output)")
                    #expect(Date().timeIntervalSince(started) < 5)
                    #expect(
                        try await emulator.requests("GetJobOutput") == fetched, "no request for what cannot be read")
                    #expect(m.log.contains("glacierfs retrieve v \(v.ids["cafe"]!)"), "the log gives the command")

                    // Extended attributes.
                    #expect(try await Self.xattr("user.glacier.name-source", wedding) == "mt2")
                    #expect(try await Self.xattr("user.glacier.archive-id", wedding) == v.ids["wedding"]!)
                    #expect(try await Self.xattr("user.glacier.archive-description", wedding).hasPrefix("mt2 eyJ"))
                    #expect(try await Self.xattr("user.glacier.sha256-tree-hash", wedding).count == 64)
                    #expect(try await Self.xattr("user.glacier.availability", wedding).hasPrefix("cached"))
                    #expect(
                        try await Self.xattr("user.glacier.name-source", root + "/docs/report.pdf") == "fastglacier-v4")
                    #expect(try await Self.xattr("user.glacier.flags", root + "/docs/report.pdf") == "none")
                    #expect(try await Self.xattr("user.mime_type", root + "/docs/report.pdf") == "application/pdf")
                    let cafe = root + "/C/Users/me/café.txt"
                    #expect(try await Self.xattr("user.glacier.flags", cafe) == "compressed,encrypted")
                    #expect(try await Self.xattr("user.glacier.availability", cafe) == "not retrieved")
                    #expect(try await Self.xattr("user.mime_type", cafe) == "application/octet-stream")
                    #expect(
                        try await Self.xattr("user.glacier.availability", root + "/sample/1234.pdf")
                            == "retrieval in progress (job \(v.jobs["qnap"]!))")
                    #expect(
                        try await Self.xattr("user.glacier.archives", root).contains(
                            "archives from inventory job \(v.jobs["inventory"]!)"))

                    // rsync copies what can be read, with names and mtimes, and reports the rest.
                    let dest = dir.appendingPathComponent("copy").path
                    let rsync = try await Command.run("/usr/bin/rsync", ["-a", root + "/", dest + "/"])
                    #expect(rsync.status == 23, "rsync reports a partial transfer: \(rsync.output.prefix(600))")
                    #expect(rsync.output.contains("café.txt") && rsync.output.contains("No data available"))
                    #expect(
                        try Data(contentsOf: URL(fileURLWithPath: dest + "/photos/2014/wedding.tar"))
                            == Data(contentsOf: v.files["wedding"]!))
                    #expect(
                        try Data(contentsOf: URL(fileURLWithPath: dest + "/notes.txt"))
                            == Data(contentsOf: v.files["notesNew"]!))
                    let copied = try FileManager.default.attributesOfItem(atPath: dest + "/photos/2014/wedding.tar")
                    #expect((copied[.modificationDate] as? Date)?.timeIntervalSince1970 == 1_402_142_400)
                    #expect(!FileManager.default.fileExists(atPath: dest + "/C/Users/me/café.txt"))
                }
                // A remount uses the index on disk: the inventory is parsed once.
                try await MountedFileSystem.with(
                    endpoint: emulator.endpoint, environment: emulator.environment,
                    cacheDirectory: cache
                ) { m in
                    #expect(FileManager.default.fileExists(atPath: m.path("v/archives/photos/2014/wedding.tar")))
                    #expect(
                        m.log.components(separatedBy: "indexed vault v:").count == 2, "indexed once, by the first mount"
                    )
                }
            }
        }
    }

    @Test func aVaultWithNoInventoryShowsAnEmptyViewThatSaysWhatToDo() async throws {
        try await EmulatorProcess.with { emulator in
            try await TempDirectory.with("archives") { dir in
                let client = emulator.client()
                try await client.createVault("v")
                let file = try Seed.randomFile(size: 100, in: dir)
                _ = try await client.uploadArchive(vault: "v", file: file.path, description: "a.txt")
                try await MountedFileSystem.with(
                    endpoint: emulator.endpoint, environment: emulator.environment,
                    cacheDirectory: dir.appendingPathComponent("cache").path
                ) { m in
                    let listing = try FileManager.default.contentsOfDirectory(atPath: m.path("v/archives"))
                    #expect(listing.isEmpty)
                    #expect(
                        try FileManager.default.contentsOfDirectory(atPath: m.path("v")).sorted() == [
                            "archives", "jobs",
                        ])
                    let why = try await Self.xattr("user.glacier.archives", m.path("v/archives"))
                    #expect(
                        why.contains("no readable inventory") && why.contains("glacierfs inventory v --wait"), "\(why)")
                    #expect(m.log.contains("glacierfs inventory v --wait"))
                }
            }
        }
    }

    /// An inventory that completes during a mount replaces the view (after the listing TTL, built in
    /// the background while the old view serves): new archives appear under their names.
    @Test func aNewerInventoryReplacesTheViewDuringTheMount() async throws {
        try await EmulatorProcess.with { emulator in
            try await TempDirectory.with("archives") { dir in
                let client = emulator.client()
                try await client.createVault("v")
                let file = try Seed.randomFile(size: 100, in: dir)
                _ = try await client.uploadArchive(vault: "v", file: file.path, description: "old.txt")
                let first = try await client.initiateInventoryRetrieval(vault: "v", format: "JSON").jobId
                try await Seed.waitForJob(client, vault: "v", jobId: first)
                try await MountedFileSystem.with(
                    endpoint: emulator.endpoint, environment: emulator.environment,
                    cacheDirectory: dir.appendingPathComponent("cache").path, extraArguments: ["--listing-ttl", "1"]
                ) { m in
                    let root = m.path("v/archives")
                    // Calls into the mount run on threads of their own: a slow daemon must not hold the test
                    // process's few concurrency threads, which in-process servers of other suites need.
                    #expect(
                        try await offPool { try FileManager.default.contentsOfDirectory(atPath: root) } == ["old.txt"])
                    _ = try await client.uploadArchive(vault: "v", file: file.path, description: "new.txt")
                    let second = try await client.initiateInventoryRetrieval(vault: "v", format: "CSV").jobId
                    try await Seed.waitForJob(client, vault: "v", jobId: second)
                    // Listings age out after 1 s; the refresh runs in the background: ask until it lands.
                    let listing = try await offPool { () -> [String] in
                        let deadline = Date().addingTimeInterval(60)
                        var names: [String] = []
                        while Date() < deadline {
                            names = (try FileManager.default.contentsOfDirectory(atPath: root)).sorted()
                            if names.count == 2 { break }
                            Thread.sleep(forTimeInterval: 0.2)
                        }
                        return names
                    }
                    #expect(listing == ["new.txt", "old.txt"], "\(listing)")
                    let status = try await Self.xattr("user.glacier.archives", root)
                    #expect(status.contains("inventory job \(second)") && status.contains("CSV"), "\(status)")
                    #expect(m.log.contains("re-indexed vault v from newer inventory job \(second)"), "\(m.log)")
                    let size = try await offPool {
                        (try FileManager.default.attributesOfItem(atPath: root + "/new.txt")[.size] as? NSNumber)?
                            .intValue
                    }
                    #expect(size == 100)

                    // An archive no inventory lists yet shows up once a retrieval names it.
                    let late = try await client.uploadArchive(vault: "v", file: file.path, description: "late.txt")
                    let retrieval = try await client.initiateArchiveRetrieval(vault: "v", archiveId: late.archiveId)
                    try await Seed.waitForJob(client, vault: "v", jobId: retrieval.jobId)
                    let unnamed = try await offPool { () -> [String] in
                        let deadline = Date().addingTimeInterval(60)
                        var names: [String] = []
                        while Date() < deadline {
                            names = (try? FileManager.default.contentsOfDirectory(atPath: root + "/_unnamed")) ?? []
                            if !names.isEmpty { break }
                            Thread.sleep(forTimeInterval: 0.2)
                        }
                        return names
                    }
                    #expect(unnamed == [late.archiveId], "\(unnamed)")
                    let top = try await offPool { try FileManager.default.contentsOfDirectory(atPath: root).sorted() }
                    #expect(top == ["_unnamed", "new.txt", "old.txt"])
                }
            }
        }
    }

    @Test func retrieveByNameStartsOneJobPerMatchingArchive() async throws {
        try await EmulatorProcess.with { emulator in
            try await TempDirectory.with("archives") { dir in
                let client = emulator.client()
                try await client.createVault("v")
                func glacierfs(_ arguments: [String]) async throws -> Command.Result {
                    try await Command.run(
                        TestPaths.binary("glacierfs"),
                        ["retrieve", "v"] + arguments
                            + ["--endpoint", emulator.endpoint], environment: emulator.environment)
                }
                let none = try await glacierfs(["--name", "photos/*"])
                #expect(none.status == 1 && none.output.contains("glacierfs inventory v --wait"), "\(none.output)")
                var ids: [String: String] = [:]
                for name in ["photos/2014/a.jpg", "photos/b.jpg", "docs/c.txt"] {
                    let file = try Seed.randomFile(size: 1000, in: dir)
                    let description = "mt2 " + Self.base64url(#"{"filename":"\#(name)","mtime":"20200101T000000Z"}"#)
                    ids[name] = try await client.uploadArchive(vault: "v", file: file.path, description: description)
                        .archiveId
                }
                let inventory = try await client.initiateInventoryRetrieval(vault: "v", format: "CSV").jobId
                try await Seed.waitForJob(client, vault: "v", jobId: inventory)

                let started = try await glacierfs(["--name", "photos/*", "--tier", "Bulk"])
                #expect(started.status == 0, "\(started.output)")
                #expect(started.output.contains("2 archives"), "\(started.output)")
                let retrievals = try await client.listJobs(vault: "v").jobs.filter(\.isArchiveRetrieval)
                #expect(Set(retrievals.compactMap(\.archiveId)) == [ids["photos/2014/a.jpg"]!, ids["photos/b.jpg"]!])
                #expect(retrievals.allSatisfy { $0.tier == "Bulk" })

                let exact = try await glacierfs(["--name", "docs/c.txt"])
                #expect(exact.status == 0 && exact.output.contains("1 archives"), "\(exact.output)")
                let nothing = try await glacierfs(["--name", "nope/*"])
                #expect(nothing.status == 1 && nothing.output.contains("nothing matches"), "\(nothing.output)")
                let misuse = try await glacierfs(["--name", "docs/c.txt", "--range", "0-1048575"])
                #expect(misuse.status == 64, "\(misuse.output)")
            }
        }
    }

    /// Every entry of an inventory is checked before any byte of it is served, or any name shown.
    @Test func anInventoryWithABadEntryIsRefusedAndSaysWhere() async throws {
        try await EmulatorProcess.with { emulator in
            try await TempDirectory.with("archives") { dir in
                let client = emulator.client()
                try await client.createVault("v")
                for name in ["a.txt", "b.txt"] {
                    let file = try Seed.randomFile(size: 100, in: dir)
                    _ = try await client.uploadArchive(vault: "v", file: file.path, description: name)
                }
                let inventory = try await client.initiateInventoryRetrieval(vault: "v", format: "JSON").jobId
                try await Seed.waitForJob(client, vault: "v", jobId: inventory)
                let size = try #require(try await client.describeJob(vault: "v", jobId: inventory).inventorySizeInBytes)
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(size), alignment: 16)
                defer { buffer.deallocate() }
                _ = try await client.getJobOutput(
                    vault: "v", jobId: inventory, range: 0 ..< size, outputSize: size,
                    verification: .sizeOnly, into: buffer)
                // The same length, one field wrong: the first entry's Size becomes negative.
                let text = String(decoding: UnsafeRawBufferPointer(buffer), as: UTF8.self)
                let corrupted = text.replacingOccurrences(
                    of: #"("Size"\s*:\s*)100\b"#, with: "$1-10", options: .regularExpression)
                #expect(corrupted != text && corrupted.utf8.count == text.utf8.count)
                try await emulator.overrideResponses(
                    "GetJobOutput", status: 200,
                    headers: ["Content-Type": "application/json"], body: corrupted,
                    count: 50)
                try await MountedFileSystem.with(
                    endpoint: emulator.endpoint, environment: emulator.environment,
                    cacheDirectory: dir.appendingPathComponent("cache").path
                ) { m in
                    let read = try await Command.run("/bin/cat", [m.path("v/jobs/\(inventory)/output")])
                    #expect(
                        read.status != 0 && read.output.contains("Input/output error"), "\(read.output.prefix(300))")
                    #expect(m.log.contains("is not valid: at archive entry 1, byte"), "\(m.log.suffix(2000))")
                    #expect(m.log.contains("Size is -10, not a non-negative integer"))
                    #expect(try FileManager.default.contentsOfDirectory(atPath: m.path("v/archives")).isEmpty)
                    let why = try await Self.xattr("user.glacier.archives", m.path("v/archives"))
                    #expect(
                        why.contains("no inventory of vault v can be used") && why.contains("Size is -10"), "\(why)")
                }
            }
        }
    }
}
