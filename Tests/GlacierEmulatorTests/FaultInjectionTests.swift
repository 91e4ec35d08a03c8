import Foundation
import GlacierEmulator
import GlacierIntegrity
import Testing

/// Every fault kind is injected as described and counted exactly, observed over raw HTTP.
@Suite struct FaultInjectionTests {
    static let mib = 1 << 20

    /// An emulator with one 3 MiB archive and a completed whole-archive job.
    private func withJob(
        _ body: (GlacierEmulatorServer, RawGlacier, String, [UInt8]) async throws -> Void
    )
        async throws
    {
        try await withEmulator { server, _ in
            let g = RawGlacier(port: server.port)
            let data = testBytes(count: 3 * Self.mib, seed: 11)
            let job = try await g.retrievalJob(of: data)
            try await body(server, g, job, data)
        }
    }

    @Test(arguments: FaultKind.allCases) func eachKindIsInjectedAndCounted(kind: FaultKind) async throws {
        try await withJob { server, g, job, data in
            try server.setFaults(FaultSettings(rates: [kind: 1], seed: 3))
            let expected = Array(data[Self.mib ..< 2 * Self.mib])
            let realHash = TreeHash.hash(expected).hex
            let r = try await g.output(job, range: "bytes=1048576-2097151")
            switch kind {
            case .flip:
                #expect(r.status == 206 && r.ending == .complete && r.body.count == expected.count)
                #expect(r.body != expected)
                #expect(r.header("x-amz-sha256-tree-hash") == realHash, "headers stay intact")
            case .truncate:
                #expect(r.status == 206 && r.ending == .closedEarly)
                #expect(r.body.count < expected.count && r.header("Content-Length") == String(expected.count))
                #expect(r.body == Array(expected.prefix(r.body.count)))
            case .reset:
                #expect(r.ending == .reset)
            case .unavailable:
                #expect(r.status == 503 && r.errorCode == "ServiceUnavailableException")
            case .throttle:
                #expect(r.status == 400 && r.errorCode == "ThrottlingException")
            case .insufficientCapacity:
                #expect(r.status == 400 && r.errorCode == "InsufficientCapacityException")
            case .policyEnforced:
                #expect(r.status == 400 && r.errorCode == "PolicyEnforcedException")
            case .wrongChecksum:
                #expect(r.status == 206 && r.body == expected)
                #expect(r.header("x-amz-sha256-tree-hash") != nil && r.header("x-amz-sha256-tree-hash") != realHash)
            case .badContentRange:
                #expect(r.status == 206 && r.body == expected)
                #expect(r.header("Content-Range") != "bytes 1048576-2097151/\(data.count)")
            }
            #expect(server.faultCounters()[kind] == 1)
            #expect(server.faultCounters().total == 1)
            let stats = try await RawHTTP.admin(port: server.port, method: "GET", path: "stats")
            let faults = (stats.json as? [String: Any])?["faults"] as? [String: Int]
            #expect(faults?[kind.rawValue] == 1)
        }
    }

    @Test func checksumFaultsApplyOnlyWhereAChecksumIsSent() async throws {
        try await withJob { server, g, job, data in
            try server.setFaults(FaultSettings(rates: [.wrongChecksum: 1]))
            let r = try await g.output(job, range: "bytes=1048576-3145727")  // [1, 3) MiB: not a node
            #expect(r.status == 206 && r.body == Array(data[Self.mib...]))
            #expect(r.header("x-amz-sha256-tree-hash") == nil)
            #expect(server.faultCounters().total == 0)
            let described = try await g.get("/jobs/\(job)")  // not a faulted operation
            #expect(described.status == 200)
        }
    }

    @Test func faultsFollowTheConfiguredOperations() async throws {
        try await withJob { server, g, job, _ in
            let set = try await RawHTTP.admin(
                port: server.port, method: "PUT", path: "faults",
                json: #"{"rates":{"unavailable":1},"operations":["DescribeJob"]}"#)
            #expect(set.status == 200)
            #expect(try await g.get("/jobs/\(job)").status == 503)
            #expect(try await g.output(job).status == 200)
            #expect(server.faultCounters()[.unavailable] == 1)
            let refused = try await RawHTTP.admin(
                port: server.port, method: "PUT", path: "faults",
                json: #"{"rates":{"flip":0.7,"reset":0.7}}"#)
            #expect(refused.status == 400, "rates adding up to more than 1 are refused")
        }
    }

    /// A seeded mix: what the client observes matches the counters kind by kind.
    @Test func mixedFaultsMatchTheCounters() async throws {
        try await withJob { server, g, job, data in
            try server.setFaults(
                FaultSettings(
                    rates: [
                        .flip: 0.12, .truncate: 0.12, .reset: 0.12, .unavailable: 0.12,
                        .throttle: 0.12, .wrongChecksum: 0.12, .badContentRange: 0.12,
                    ],
                    seed: 2024))
            let expected = Array(data[Self.mib ..< 2 * Self.mib])
            let realHash = TreeHash.hash(expected).hex
            var observed: [FaultKind: Int] = [:]
            for _ in 0 ..< 60 {
                let r = try await g.output(job, range: "bytes=1048576-2097151")
                let kind: FaultKind? =
                    switch true {
                    case r.ending == .reset: .reset
                    case r.ending == .closedEarly: .truncate
                    case r.status == 503: .unavailable
                    case r.status == 400: .throttle
                    case r.body != expected: .flip
                    case r.header("x-amz-sha256-tree-hash") != realHash: .wrongChecksum
                    case r.header("Content-Range") != "bytes 1048576-2097151/\(data.count)": .badContentRange
                    default: nil
                    }
                if let kind { observed[kind, default: 0] += 1 }
            }
            #expect(observed == server.faultCounters().counts.filter { $0.value > 0 })
            #expect(observed.count >= 5, "a seeded run of 60 should hit most kinds: \(observed)")
        }
    }
}
