import Foundation
import GlacierEmulator
import Testing

/// Hostile answers on demand: job-description overrides and verbatim response overrides.
@Suite struct OverrideTests {
    @Test func jobOverridesReplaceServedFieldsVerbatim() async throws {
        try await withEmulator { server, _ in
            let g = RawGlacier(port: server.port)
            let job = try await g.retrievalJob(of: testBytes(count: 10, seed: 1))
            let hostile = #"{"ArchiveSizeInBytes":99999999999999999999,"InventorySizeInBytes":-5,"Completed":"yes"}"#
            let set = try await RawHTTP.admin(
                port: server.port, method: "PUT",
                path: "vaults/raw-vault/jobs/\(job)/override", json: hostile)
            #expect(set.status == 204)
            let described = try await g.get("/jobs/\(job)")
            #expect(described.text.contains(#""ArchiveSizeInBytes":99999999999999999999"#))
            #expect(described.text.contains(#""InventorySizeInBytes":-5"#))
            #expect(described.text.contains(#""Completed":"yes""#))
            #expect(described.text.contains(#""StatusCode":"Succeeded""#), "other fields are kept")
            let listed = try await g.get("/jobs")
            #expect(listed.text.contains("99999999999999999999"))
            #expect(try await g.output(job).status == 200, "the output itself is unaffected")
            _ = try await RawHTTP.admin(
                port: server.port, method: "PUT", path: "vaults/raw-vault/jobs/\(job)/override",
                json: "{}")
            #expect(!(try await g.get("/jobs/\(job)")).text.contains("99999999999999999999"))
        }
    }

    @Test func responseOverridesReplaceTheNextAnswers() async throws {
        try await withEmulator { server, _ in
            let body = #"{"VaultList": [ {"VaultName": "#
            let set = try await RawHTTP.admin(
                port: server.port, method: "POST", path: "response-overrides",
                json: """
                    {"operation":"ListVaults","status":200,"headers":{"Content-Type":"application/json","X-Test":"1"},
                     "body":"\(body.replacingOccurrences(of: "\"", with: "\\\""))","count":2}
                    """)
            #expect(set.status == 204)
            for _ in 0 ..< 2 {
                let r = try await RawHTTP.request(port: server.port, method: "GET", path: "/-/vaults")
                #expect(r.status == 200 && r.text == body && r.header("X-Test") == "1")
                #expect(r.header("x-amzn-RequestId") == nil, "verbatim: nothing added but Content-Length")
            }
            let normal = try await RawHTTP.request(port: server.port, method: "GET", path: "/-/vaults")
            #expect(normal.json != nil && normal.header("X-Test") == nil)
            try server.addResponseOverride(ResponseOverride(status: 500, body: "oops"), for: "DescribeVault")
            let r = try await RawHTTP.request(port: server.port, method: "GET", path: "/-/vaults/anything")
            #expect(r.status == 500 && r.text == "oops")
        }
    }

    @Test func shapingAddsLatencyAndCapsBandwidth() async throws {
        try await withEmulator(configure: { $0.shaping = ShapingSettings(firstByteLatencyMs: 300) }) { server, _ in
            let g = RawGlacier(port: server.port)
            let data = testBytes(count: 600_000, seed: 8)
            let job = try await g.retrievalJob(of: data)
            var start = ContinuousClock.now
            _ = try await g.get("/jobs/\(job)")
            #expect(ContinuousClock.now - start >= .milliseconds(300))

            #expect(try await g.setShaping(#"{"firstByteLatencyMs":0,"bytesPerSecondPerConnection":1000000}"#) == 200)
            start = ContinuousClock.now
            let r = try await g.output(job)
            let elapsed = ContinuousClock.now - start
            #expect(r.body == data)
            #expect(elapsed >= .milliseconds(500), "600 kB at 1 MB/s takes about 0.6 s, took \(elapsed)")
            // Loose: only that the cap does not stall the transfer (other suites share the 2 cores).
            #expect(elapsed < .seconds(30))
        }
    }

    @Test func aRateSpreadGivesResponsesUnequalSpeedsAndIsCheckedWhenSet() async throws {
        try await withEmulator { server, _ in
            let g = RawGlacier(port: server.port)
            let data = testBytes(count: 200_000, seed: 11)
            let job = try await g.retrievalJob(of: data)
            let bad = try await g.setShaping(#"{"bytesPerSecondPerConnection":1000000,"rateSpreadPercent":95}"#)
            #expect(bad == 400, "a spread over 90 % is refused")
            #expect(try await g.setShaping(#"{"bytesPerSecondPerConnection":1000000,"rateSpreadPercent":80}"#) == 200)
            #expect(try await g.shaping().contains(#""rateSpreadPercent":80"#))
            // 200 kB at 0.2 to 1.8 MB/s: 0.11 to 1 s each; eight draws are never all alike.
            var times: [Duration] = []
            for _ in 0 ..< 8 {
                let start = ContinuousClock.now
                #expect(try await g.output(job).body == data)
                times.append(ContinuousClock.now - start)
            }
            let (fastest, slowest) = (times.min()!, times.max()!)
            #expect(fastest >= .milliseconds(100), "no response beats 1.8 MB/s: \(times)")
            #expect(slowest > fastest * 1.3, "the speeds differ: \(times)")
        }
    }

    @Test func linkCapIsSharedByEveryConnection() async throws {
        try await withEmulator { server, _ in
            let g = RawGlacier(port: server.port)
            let data = testBytes(count: 600_000, seed: 9)
            let job = try await g.retrievalJob(of: data)
            #expect(try await g.setShaping(#"{"linkBytesPerSecond":1000000}"#) == 200)
            #expect(try await g.shaping().contains(#""linkBytesPerSecond":1000000"#))
            // Two connections at once: each alone would take 0.6 s, but they share 1 MB/s.
            let start = ContinuousClock.now
            async let first = g.output(job)
            async let second = g.output(job)
            let (a, b) = try await (first, second)
            let elapsed = ContinuousClock.now - start
            #expect(a.body == data && b.body == data)
            #expect(elapsed >= .milliseconds(1100), "1.2 MB over a 1 MB/s link takes about 1.2 s, took \(elapsed)")
            #expect(elapsed < .seconds(30))
        }
    }
}
