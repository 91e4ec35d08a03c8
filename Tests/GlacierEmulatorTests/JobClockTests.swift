import Foundation
import GlacierEmulator
import Testing

/// Jobs complete `jobDelay` after initiation and expire `outputLifetime` after completion, on a job
/// clock that tests move forward instead of waiting.
@Suite struct JobClockTests {
    @Test func jobsCompleteAndExpireOnTheJobClock() async throws {
        try await withEmulator(configure: {
            $0.jobDelay = 3600
            $0.outputLifetime = 86_400
        }) { server, _ in
            let g = RawGlacier(port: server.port)
            try await g.createVault()
            let data = testBytes(count: 3000, seed: 9)
            let archive = try await g.upload(data)
            let job = try await g.retrieve(archive)

            var described = try #require(try await g.get("/jobs/\(job)").json as? [String: Any])
            #expect(described["StatusCode"] as? String == "InProgress")
            #expect(described["Completed"] as? Bool == false)
            #expect(described["CompletionDate"] is NSNull)
            let early = try await g.output(job)
            #expect(early.status == 400)
            #expect(early.errorCode == "InvalidParameterValueException")
            #expect(early.text.contains("not currently available for download"))
            #expect(try await listedIds(g, query: "?statuscode=InProgress") == [job])
            #expect(try await listedIds(g, query: "?completed=true") == [])

            let advanced = try await RawHTTP.admin(
                port: server.port, method: "POST", path: "job-clock",
                json: #"{"advanceSeconds": 3600}"#)
            #expect(advanced.status == 200)
            described = try #require(try await g.get("/jobs/\(job)").json as? [String: Any])
            #expect(described["StatusCode"] as? String == "Succeeded")
            #expect(described["Completed"] as? Bool == true)
            #expect(described["CompletionDate"] is String)
            let output = try await g.output(job)
            #expect(output.status == 200 && output.body == data)
            #expect(try await listedIds(g, query: "?statuscode=Succeeded&completed=true") == [job])

            try await server.advanceJobClock(by: 86_400)
            let gone = try await g.get("/jobs/\(job)")
            #expect(gone.status == 404 && gone.errorCode == "ResourceNotFoundException")
            let noOutput = try await g.output(job)
            #expect(noOutput.status == 404 && noOutput.errorCode == "ResourceNotFoundException")
            #expect(try await listedIds(g, query: "") == [])
        }
    }

    @Test func aJobFailsWhenItsArchiveIsDeletedFirst() async throws {
        try await withEmulator(configure: { $0.jobDelay = 60 }) { server, _ in
            let g = RawGlacier(port: server.port)
            try await g.createVault()
            let archive = try await g.upload(testBytes(count: 100, seed: 1))
            let job = try await g.retrieve(archive)
            let deleted = try await RawHTTP.request(
                port: server.port, method: "DELETE",
                path: "/-/vaults/raw-vault/archives/\(archive)")
            #expect(deleted.status == 204)
            try await server.advanceJobClock(by: 60)
            let described = try #require(try await g.get("/jobs/\(job)").json as? [String: Any])
            #expect(described["StatusCode"] as? String == "Failed")
            #expect((described["StatusMessage"] as? String)?.contains("deleted") == true)
            #expect(try await listedIds(g, query: "?statuscode=Failed") == [job])
            let output = try await g.output(job)
            #expect(output.status == 400)
        }
    }

    @Test func syntheticJobsPageThroughListJobs() async throws {
        try await withEmulator { server, _ in
            let g = RawGlacier(port: server.port)
            try await g.createVault()
            let archive = try await g.upload(testBytes(count: 2 << 20, seed: 4))
            let created = try await RawHTTP.admin(
                port: server.port, method: "POST",
                path: "vaults/raw-vault/synthetic-jobs",
                json: #"{"count": 10000, "archiveId": "\#(archive)"}"#)
            #expect(created.status == 200)
            let ids = try #require((created.json as? [String: Any])?["jobIds"] as? [String])
            #expect(ids.count == 10_000)

            var seen: [String] = []
            var marker: String?
            var pages = 0
            repeat {
                let page = try await g.get("/jobs?limit=1000" + (marker.map { "&marker=\($0)" } ?? ""))
                let body = try #require(page.json as? [String: Any])
                seen += (body["JobList"] as? [[String: Any]] ?? []).compactMap { $0["JobId"] as? String }
                marker = body["Marker"] as? String
                pages += 1
            } while marker != nil && pages < 20
            #expect(pages == 10)
            #expect(seen == ids, "stable creation order, nothing lost or repeated")

            let defaultPage = try #require(try await g.get("/jobs").json as? [String: Any])
            #expect((defaultPage["JobList"] as? [Any])?.count == 50)
            for bad in ["?limit=0", "?limit=1001", "?limit=x", "?marker=nope", "?statuscode=Done", "?completed=yes"] {
                let r = try await g.get("/jobs" + bad)
                #expect(r.status == 400 && r.errorCode == "InvalidParameterValueException", "\(bad)")
            }
            let output = try await g.output(ids[9_999], range: "bytes=0-1048575")
            #expect(output.status == 206 && output.header("x-amz-sha256-tree-hash") != nil)
        }
    }

    private func listedIds(_ g: RawGlacier, query: String) async throws -> [String] {
        let r = try await g.get("/jobs" + query)
        let list = (r.json as? [String: Any])?["JobList"] as? [[String: Any]] ?? []
        return list.compactMap { $0["JobId"] as? String }
    }
}
