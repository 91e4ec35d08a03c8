import Foundation
import GlacierEmulator
import GlacierIntegrity
import Testing

/// Vaults, archives, uploads, jobs, overrides and the job clock survive a restart on the same data
/// directory, and leftovers of interrupted writes are cleaned at startup.
@Suite struct PersistenceTests {
    @Test func aStartWaitsForALockHeldAMoment() async throws {
        // As a restart finds it when the process forked as the last server let go of its lock:
        // the child holds it until its exec.
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let data = dir.url.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let fd = open(data.path + "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        try #require(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
        // Let go of on a thread of its own: the tasks' and dispatch's threads may all be busy
        // with other suites (a dispatch block ran 40 s late in CI).
        Thread {
            usleep(300_000)
            close(fd)
        }.start()
        let server = try await GlacierEmulatorServer.start(
            EmulatorConfiguration(dataDirectory: data, jobDelay: 50, eventLoopThreads: 1))
        try await server.stop()
    }

    @Test func stateSurvivesARestart() async throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let data = dir.url.appendingPathComponent("data")
        let configuration = EmulatorConfiguration(dataDirectory: data, jobDelay: 50, eventLoopThreads: 1)
        let archive = testBytes(count: 3 << 20 | 1, seed: 5)
        let part = testBytes(count: 1 << 20, seed: 6)

        // First run: create everything.
        var server = try await GlacierEmulatorServer.start(configuration)
        await #expect(throws: (any Error).self, "a second server may not share the data directory") {
            try await GlacierEmulatorServer.start(configuration).stop()
        }
        let (archiveId, jobId, inventoryId, uploadId): (String, String, String, String)
        do {
            let g = RawGlacier(port: server.port)
            try await g.createVault()
            archiveId = try await g.upload(archive, description: "kept")
            jobId = try await g.retrieve(archiveId, range: "0-2097151")
            inventoryId = try await g.initiateJob(#"{"Type":"inventory-retrieval"}"#)
            let started = try await RawHTTP.request(
                port: server.port, method: "POST",
                path: "/-/vaults/raw-vault/multipart-uploads",
                headers: RawHTTP.glacierHeaders + [("x-amz-part-size", "1048576")])
            uploadId = try #require(started.header("x-amz-multipart-upload-id"))
            let sent = try await RawHTTP.request(
                port: server.port, method: "PUT",
                path: "/-/vaults/raw-vault/multipart-uploads/\(uploadId)",
                headers: RawHTTP.glacierHeaders + [
                    ("Content-Range", "bytes 0-1048575/*"),
                    ("x-amz-sha256-tree-hash", TreeHash.hash(part).hex),
                ], body: part)
            #expect(sent.status == 204)
            try await server.overrideJob(vault: "raw-vault", jobId: jobId, json: #"{"JobDescription":"overridden"}"#)
            try await server.advanceJobClock(by: 100)
            try await server.stop()
        } catch {
            try? await server.stop()
            throw error
        }

        // Leftovers of interrupted writes.
        let root = data.path
        let fm = FileManager.default
        _ = fm.createFile(atPath: root + "/tmp/tmp-interrupted", contents: Data([1, 2, 3]))
        try fm.createDirectory(
            atPath: root + "/vaults/raw-vault/archives/half-written",
            withIntermediateDirectories: true)
        _ = fm.createFile(atPath: root + "/vaults/raw-vault/archives/half-written/data", contents: Data([1]))
        _ = fm.createFile(
            atPath: root + "/vaults/raw-vault/uploads/\(uploadId)/parts/1048576.data",
            contents: Data([1]))

        // Second run: everything is back.
        server = try await GlacierEmulatorServer.start(configuration)
        do {
            let g = RawGlacier(port: server.port)
            let vault = try #require(try await g.get("").json as? [String: Any])
            #expect(vault["NumberOfArchives"] as? Int == 1)
            #expect(vault["SizeInBytes"] as? Int == archive.count)
            let job = try #require(try await g.get("/jobs/\(jobId)").json as? [String: Any])
            #expect(job["StatusCode"] as? String == "Succeeded", "the advanced job clock persisted")
            #expect(job["JobDescription"] as? String == "overridden")
            let output = try await g.output(jobId)
            #expect(output.body == Array(archive[0 ..< (2 << 20)]))
            #expect(output.header("x-amz-sha256-tree-hash") == TreeHash.hash(Array(archive[0 ..< (2 << 20)])).hex)
            let tail = try await g.output(jobId, range: "bytes=1048576-2097151")
            #expect(tail.header("x-amz-sha256-tree-hash") == TreeHash.hash(Array(archive[(1 << 20) ..< (2 << 20)])).hex)
            let inventory = try await g.output(inventoryId)
            #expect(inventory.text.contains(archiveId) && inventory.text.contains("kept"))
            let parts = try #require(try await g.get("/multipart-uploads/\(uploadId)").json as? [String: Any])
            #expect((parts["Parts"] as? [[String: Any]])?.map { $0["RangeInBytes"] as? String } == ["0-1048575"])
            #expect(try fm.contentsOfDirectory(atPath: root + "/tmp").isEmpty)
            #expect(!fm.fileExists(atPath: root + "/vaults/raw-vault/archives/half-written"))
            #expect(!fm.fileExists(atPath: root + "/vaults/raw-vault/uploads/\(uploadId)/parts/1048576.data"))
            try await server.stop()
        } catch {
            try? await server.stop()
            throw error
        }
    }
}
