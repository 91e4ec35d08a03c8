import Foundation
import GlacierEmulator
import GlacierIntegrity
import Testing

/// Bad input gets the model's error codes and a clear message.
@Suite struct ValidationTests {
    @Test func requestsNeedTheAPIVersionAndAKnownAccount() async throws {
        try await withEmulator { server, _ in
            let noVersion = try await RawHTTP.request(port: server.port, method: "GET", path: "/-/vaults", headers: [])
            #expect(noVersion.status == 400 && noVersion.errorCode == "MissingParameterValueException")
            #expect(noVersion.text.contains("x-amz-glacier-version"))
            let other = try await RawHTTP.request(port: server.port, method: "GET", path: "/999999999999/vaults")
            #expect(other.status == 403 && other.errorCode == "AccessDeniedException")
            let own = try await RawHTTP.request(port: server.port, method: "GET", path: "/123456789012/vaults")
            #expect(own.status == 200)
            let unknown = try await RawHTTP.request(port: server.port, method: "PATCH", path: "/-/vaults")
            #expect(unknown.status == 404)
            let badName = try await RawHTTP.request(port: server.port, method: "PUT", path: "/-/vaults/bad%20name")
            #expect(badName.status == 400 && badName.errorCode == "InvalidParameterValueException")
            let badLimit = try await RawHTTP.request(port: server.port, method: "GET", path: "/-/vaults?limit=11")
            #expect(badLimit.status == 400)
            let missing = try await RawHTTP.request(port: server.port, method: "GET", path: "/-/vaults/none")
            #expect(missing.status == 404 && missing.errorCode == "ResourceNotFoundException")
            #expect(missing.text.contains("arn:aws:glacier:us-east-1:123456789012:vaults/none"))
        }
    }

    @Test func uploadsCheckBothHashes() async throws {
        try await withEmulator { server, _ in
            let g = RawGlacier(port: server.port)
            try await g.createVault()
            let data = testBytes(count: 5000, seed: 2)
            let path = "/-/vaults/raw-vault/archives"
            let wrongTree = try await RawHTTP.request(
                port: server.port, method: "POST", path: path,
                headers:
                    RawHTTP.glacierHeaders + [("x-amz-sha256-tree-hash", String(repeating: "0", count: 64))], body: data
            )
            #expect(wrongTree.status == 400 && wrongTree.text.contains("x-amz-sha256-tree-hash"))
            let wrongContent = try await RawHTTP.request(
                port: server.port, method: "POST", path: path,
                headers:
                    RawHTTP.glacierHeaders + [
                        ("x-amz-sha256-tree-hash", TreeHash.hash(data).hex),
                        ("x-amz-content-sha256", String(repeating: "1", count: 64)),
                    ], body: data)
            #expect(wrongContent.status == 400 && wrongContent.text.contains("x-amz-content-sha256"))
            let noTree = try await RawHTTP.request(port: server.port, method: "POST", path: path, body: data)
            #expect(noTree.status == 400 && noTree.errorCode == "MissingParameterValueException")
            let continued = try await RawHTTP.request(
                port: server.port, method: "POST", path: path,
                headers:
                    RawHTTP.glacierHeaders + [("x-amz-sha256-tree-hash", TreeHash.hash(data).hex)], body: data,
                expectContinue: true)
            #expect(continued.sawContinue && continued.status == 201)
            let vault = try #require(try await g.get("").json as? [String: Any])
            #expect(vault["NumberOfArchives"] as? Int == 1, "refused uploads leave nothing behind")
        }
    }

    @Test func aStalledUploadGetsRequestTimeout() async throws {
        try await withEmulator(configure: { $0.idleTimeout = 1 }) { server, _ in
            try await RawGlacier(port: server.port).createVault()
            let start = ContinuousClock.now
            let r = try await RawHTTP.request(
                port: server.port, method: "POST", path: "/-/vaults/raw-vault/archives",
                headers: RawHTTP.glacierHeaders + [
                    (
                        "x-amz-sha256-tree-hash",
                        String(repeating: "0", count: 64)
                    )
                ],
                body: Array(repeating: 7, count: 100), declaredLength: 5000)
            #expect(r.status == 408 && r.errorCode == "RequestTimeoutException")
            #expect(ContinuousClock.now - start >= .milliseconds(900))
            let vault = try #require(try await RawGlacier(port: server.port).get("").json as? [String: Any])
            #expect(vault["NumberOfArchives"] as? Int == 0)
        }
    }

    /// Clients that hang up mid-request, send garbage, or are refused before their body is read
    /// never disturb the server (debug builds trap on HTTP state violations).
    @Test func misbehavingClientsLeaveTheServerHealthy() async throws {
        try await withEmulator { server, _ in
            let g = RawGlacier(port: server.port)
            try await g.createVault()
            let head =
                "POST /-/vaults/raw-vault/archives HTTP/1.1\r\nHost: x\r\nx-amz-glacier-version: 2012-06-01\r\n"
                + "x-amz-sha256-tree-hash: \(String(repeating: "0", count: 64))\r\nContent-Length: 5000\r\n\r\n"
            try await RawHTTP.sendAndHangUp(port: server.port, Array(head.utf8) + Array(repeating: 1, count: 100))
            try await RawHTTP.sendAndHangUp(port: server.port, Array("GARBAGE \u{1}\r\n\r\n".utf8))
            try await RawHTTP.sendAndHangUp(port: server.port, Array(head.utf8))
            let refused = try await RawHTTP.request(
                port: server.port, method: "POST", path: "/-/vaults/none/archives",
                headers: RawHTTP.glacierHeaders + [
                    (
                        "x-amz-sha256-tree-hash",
                        String(repeating: "0", count: 64)
                    )
                ],
                body: Array(repeating: 2, count: 1000), expectContinue: true)
            #expect(!refused.sawContinue && refused.status == 404)
            let big = try await RawHTTP.request(
                port: server.port, method: "POST", path: "/-/vaults/none/archives",
                body: Array(repeating: 3, count: 10), declaredLength: 100 << 20)
            #expect(big.status == 404 && big.header("Connection") == "close")
            try await Task.sleep(for: .milliseconds(200))
            let vault = try #require(try await g.get("").json as? [String: Any])
            #expect(vault["NumberOfArchives"] as? Int == 0)
        }
    }

    @Test func multipartRulesAreEnforced() async throws {
        try await withEmulator { server, _ in
            let g = RawGlacier(port: server.port)
            try await g.createVault()
            let base = "/-/vaults/raw-vault/multipart-uploads"
            for bad in ["1000", "3145728", "0", "8589934592", "x"] {
                let r = try await RawHTTP.request(
                    port: server.port, method: "POST", path: base,
                    headers: RawHTTP.glacierHeaders + [("x-amz-part-size", bad)])
                #expect(r.status == 400, "part size \(bad)")
            }
            let started = try await RawHTTP.request(
                port: server.port, method: "POST", path: base,
                headers: RawHTTP.glacierHeaders + [("x-amz-part-size", "1048576")])
            let id = try #require(started.header("x-amz-multipart-upload-id"))
            let part = testBytes(count: 1 << 20, seed: 3)
            func put(_ range: String, _ body: [UInt8]) async throws -> RawHTTP.Response {
                try await RawHTTP.request(
                    port: server.port, method: "PUT", path: base + "/" + id,
                    headers:
                        RawHTTP.glacierHeaders + [
                            ("Content-Range", range),
                            ("x-amz-sha256-tree-hash", TreeHash.hash(body).hex),
                        ],
                    body: body)
            }
            #expect(try await put("bytes 1-1048576/*", part).status == 400, "unaligned start")
            #expect(try await put("bytes 0-2097151/*", part + part).status == 400, "larger than the part size")
            #expect(try await put("bytes 0-1048575/*", part).status == 204)
            #expect(try await put("bytes 2097152-2097251/*", Array(part[0 ..< 100])).status == 204)
            let gap = try await RawHTTP.request(
                port: server.port, method: "POST", path: base + "/" + id,
                headers:
                    RawHTTP.glacierHeaders + [
                        ("x-amz-archive-size", "2097252"),
                        ("x-amz-sha256-tree-hash", String(repeating: "a", count: 64)),
                    ])
            #expect(gap.status == 400 && gap.text.contains("missing"), "\(gap.text)")
            let aborted = try await RawHTTP.request(port: server.port, method: "DELETE", path: base + "/" + id)
            #expect(aborted.status == 204)
            #expect(try await RawHTTP.request(port: server.port, method: "GET", path: base + "/" + id).status == 404)
        }
    }

    @Test func jobParametersAndRangesAreChecked() async throws {
        try await withEmulator { server, _ in
            let g = RawGlacier(port: server.port)
            try await g.createVault()
            let data = testBytes(count: 3 << 20, seed: 4)
            let archive = try await g.upload(data)
            let jobs = "/-/vaults/raw-vault/jobs"
            for (body, code) in [
                (#"{"Type":"archive-retrieval","ArchiveId":"\#(archive)","RetrievalByteRange":"1-1048575"}"#, 400),
                (#"{"Type":"archive-retrieval","ArchiveId":"\#(archive)","RetrievalByteRange":"0-999"}"#, 400),
                (#"{"Type":"archive-retrieval","ArchiveId":"\#(archive)","Tier":"Fast"}"#, 400),
                (#"{"Type":"archive-retrieval","ArchiveId":"nope"}"#, 404),
                (#"{"Type":"inventory-retrieval","Format":"XML"}"#, 400),
                (#"{"Type":"other"}"#, 400),
                (#"{"ArchiveId":"x"}"#, 400),
                ("not json", 400),
            ] {
                let r = try await RawHTTP.request(port: server.port, method: "POST", path: jobs, body: Array(body.utf8))
                #expect(r.status == code, "\(body): \(r.text)")
            }
            let job = try await g.retrieve(archive, range: "1048576-3145727")
            let described = try #require(try await g.get("/jobs/\(job)").json as? [String: Any])
            #expect(described["SHA256TreeHash"] is NSNull, "[1, 3) MiB is not tree-hash aligned")
            #expect(described["ArchiveSizeInBytes"] as? Int == data.count)

            let open = try await g.output(job, range: "bytes=1048576-")
            #expect(open.status == 206 && open.body == Array(data[(2 << 20)...]))
            #expect(open.header("Content-Range") == "bytes 1048576-2097151/2097152")
            #expect(open.header("x-amz-sha256-tree-hash") == nil, "an unaligned job never sends a checksum")
            let unsatisfiable = try await g.output(job, range: "bytes=5000000-5000001")
            #expect(unsatisfiable.status == 416 && unsatisfiable.header("Content-Range") == "bytes */2097152")
            for bad in ["bytes=x-1", "items=0-1", "bytes=5-1", "bytes=0-1,4-5"] {
                let r = try await g.output(job, range: bad)
                #expect(r.status == 400 && r.errorCode == "InvalidParameterValueException", "\(bad)")
            }
        }
    }
}
