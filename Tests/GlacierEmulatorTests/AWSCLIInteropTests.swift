import Foundation
import GlacierEmulator
import GlacierIntegrity
import Testing

/// The real AWS CLI against a signed emulator: vaults, single and multipart uploads, archive,
/// ranged and inventory jobs, and downloads whose `checksum` must match the bytes received.
@Suite(.enabled(if: ExternalTool.awsCLI.runsHere, ExternalTool.awsCLI.skipNote)) struct AWSCLIInteropTests {
    static let mib = 1 << 20

    @Test func vaultArchiveAndJobLifecycle() async throws {
        try await withEmulator(signed: true, configure: { $0.jobDelay = 3600 }) { server, dir in
            let aws = AWSCLI(endpoint: server.endpoint)
            try await aws.glacier("create-vault", "--vault-name", "cli-vault")
            let listed = try await aws.glacier("list-vaults")
            #expect((listed["VaultList"] as? [[String: Any]])?.first?["VaultName"] as? String == "cli-vault")

            // One-request upload of 6.5 MiB.
            let single = testBytes(count: 6 * Self.mib + Self.mib / 2, seed: 1)
            let singleFile = try write(single, to: dir, name: "single.bin")
            let uploaded = try await aws.glacier(
                "upload-archive", "--vault-name", "cli-vault", "--body", singleFile,
                "--archive-description", "from the cli")
            #expect(uploaded["checksum"] as? String == TreeHash.hash(single).hex)
            let singleId = try #require(uploaded["archiveId"] as? String)

            // Multipart: three 1 MiB parts, the last one short.
            let multi = testBytes(count: 2 * Self.mib + 777, seed: 2)
            let started = try await aws.glacier(
                "initiate-multipart-upload", "--vault-name", "cli-vault",
                "--part-size", String(Self.mib))
            let uploadId = try #require(started["uploadId"] as? String)
            for start in stride(from: 0, to: multi.count, by: Self.mib) {
                let part = Array(multi[start ..< min(start + Self.mib, multi.count)])
                let file = try write(part, to: dir, name: "part-\(start)")
                let answer = try await aws.glacier(
                    "upload-multipart-part", "--vault-name", "cli-vault",
                    "--upload-id", uploadId, "--body", file,
                    "--range", "bytes \(start)-\(start + part.count - 1)/*")
                #expect(answer["checksum"] as? String == TreeHash.hash(part).hex)
            }
            let parts = try await aws.glacier("list-parts", "--vault-name", "cli-vault", "--upload-id", uploadId)
            #expect((parts["Parts"] as? [Any])?.count == 3)
            let completed = try await aws.glacier(
                "complete-multipart-upload", "--vault-name", "cli-vault",
                "--upload-id", uploadId, "--archive-size", String(multi.count),
                "--checksum", TreeHash.hash(multi).hex)
            let multiId = try #require(completed["archiveId"] as? String)
            let vault = try await aws.glacier("describe-vault", "--vault-name", "cli-vault")
            #expect(vault["NumberOfArchives"] as? Int == 2)
            #expect(vault["SizeInBytes"] as? Int == single.count + multi.count)

            // Jobs: whole, ranged and inventory.
            let whole = try await initiate(aws, ["Type": "archive-retrieval", "ArchiveId": singleId])
            let ranged = try await initiate(
                aws,
                [
                    "Type": "archive-retrieval", "ArchiveId": singleId,
                    "RetrievalByteRange": "2097152-4194303",
                ])
            let multiJob = try await initiate(aws, ["Type": "archive-retrieval", "ArchiveId": multiId])
            let inventory = try await initiate(aws, ["Type": "inventory-retrieval", "Format": "CSV"])
            let pending = try await aws.glacier("describe-job", "--vault-name", "cli-vault", "--job-id", whole)
            #expect(pending["StatusCode"] as? String == "InProgress")
            try await server.advanceJobClock(by: 3600)
            for job in [whole, ranged, multiJob, inventory] { try await waitForJob(aws, job) }

            let described = try await aws.glacier("describe-job", "--vault-name", "cli-vault", "--job-id", ranged)
            #expect(described["ArchiveSizeInBytes"] as? Int == single.count)
            #expect(described["RetrievalByteRange"] as? String == "2097152-4194303")
            let node = Array(single[2 * Self.mib ..< 4 * Self.mib])
            #expect(described["SHA256TreeHash"] as? String == TreeHash.hash(node).hex)

            // Downloads: the checksum is present exactly for tree nodes and matches the bytes.
            let cases: [(job: String, range: String?, expected: ArraySlice<UInt8>, checksum: Bool)] = [
                (whole, nil, single[...], true),
                (whole, "bytes=2097152-4194303", single[2 * Self.mib ..< 4 * Self.mib], true),
                (whole, "bytes=3145728-5242879", single[3 * Self.mib ..< 5 * Self.mib], false),
                (whole, "bytes=4194304-6815743", single[(4 * Self.mib)...], true),
                (ranged, "bytes=0-1048575", single[2 * Self.mib ..< 3 * Self.mib], true),
                (multiJob, nil, multi[...], true),
            ]
            for (i, c) in cases.enumerated() {
                let file = dir.path + "/out-\(i)"
                var args = ["get-job-output", "--vault-name", "cli-vault", "--job-id", c.job]
                if let range = c.range { args += ["--range", range] }
                let answer = try await aws.glacier(args + [file])
                let got = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
                #expect(got == Array(c.expected), "case \(i)")
                #expect((answer["checksum"] as? String) == (c.checksum ? TreeHash.hash(got).hex : nil), "case \(i)")
                #expect(answer["status"] as? Int == (c.range == nil ? 200 : 206), "case \(i)")
            }
            let csvFile = dir.path + "/inventory.csv"
            let csvAnswer = try await aws.glacier(
                "get-job-output", "--vault-name", "cli-vault", "--job-id", inventory,
                csvFile)
            #expect(csvAnswer["contentType"] as? String == "text/csv")
            #expect(csvAnswer["checksum"] == nil)
            let csv = try String(contentsOfFile: csvFile, encoding: .utf8)
            #expect(csv.contains(singleId) && csv.contains(multiId) && csv.contains("\"from the cli\""))

            let jobs = try await aws.glacier("list-jobs", "--vault-name", "cli-vault", "--completed", "true")
            #expect((jobs["JobList"] as? [Any])?.count == 4)
            try await aws.glacier("delete-archive", "--vault-name", "cli-vault", "--archive-id=\(singleId)")
            try await aws.glacier("delete-archive", "--vault-name", "cli-vault", "--archive-id=\(multiId)")
            try await aws.glacier("delete-vault", "--vault-name", "cli-vault")
            let after = try await aws.glacier("list-vaults")
            #expect((after["VaultList"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func deletingANonEmptyVaultIsRefused() async throws {
        try await withEmulator(signed: true) { server, dir in
            let aws = AWSCLI(endpoint: server.endpoint)
            try await aws.glacier("create-vault", "--vault-name", "full")
            let file = try write(testBytes(count: 1000, seed: 3), to: dir, name: "small")
            try await aws.glacier("upload-archive", "--vault-name", "full", "--body", file)
            let result = try await aws.run(["delete-vault", "--vault-name", "full"])
            #expect(result.status != 0)
            #expect(result.stderr.contains("InvalidParameterValueException"), "\(result.stderr)")
        }
    }

    private func initiate(_ aws: AWSCLI, _ parameters: [String: String]) async throws -> String {
        let json = String(decoding: try JSONSerialization.data(withJSONObject: parameters), as: UTF8.self)
        let answer = try await aws.glacier("initiate-job", "--vault-name", "cli-vault", "--job-parameters", json)
        return try #require(answer["jobId"] as? String)
    }

    private func waitForJob(_ aws: AWSCLI, _ job: String) async throws {
        for _ in 0 ..< 100 {
            let d = try await aws.glacier("describe-job", "--vault-name", "cli-vault", "--job-id", job)
            if d["Completed"] as? Bool == true {
                #expect(d["StatusCode"] as? String == "Succeeded")
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("job \(job) did not complete")
    }
}

func write(_ bytes: [UInt8], to dir: ScratchDirectory, name: String) throws -> String {
    let path = dir.path + "/" + name
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
}
