import Foundation
import GlacierClient
import GlacierEmulator
import GlacierIntegrity
import GlacierModel
import GlacierTestSupport
import Testing

/// Every client operation, against the real emulator over loopback with SigV4 enforced.
@Suite(.serialized) struct ClientOperationsTests {
    @Test func vaultsAreCreatedDescribedListedAcrossPagesAndDeleted() async throws {
        try await EmulatorHarness.with { emulator in
            let client = emulator.client()
            let names = (0 ..< 23).map { String(format: "vault-%02d", $0) }
            for name in names { try await client.createVault(name) }
            let listed = try await client.listVaults()
            #expect(listed.map(\.vaultName).sorted() == names, "ListVaults must follow every page (default page is 10)")
            #expect((emulator.server.statistics().requests["ListVaults"] ?? 0) >= 3)
            let described = try await client.describeVault("vault-07")
            #expect(described.vaultName == "vault-07")
            #expect(described.vaultARN == "arn:aws:glacier:us-east-1:123456789012:vaults/vault-07")
            #expect(described.accountIdFromARN == "123456789012")
            try await client.deleteVault("vault-07")
            await #expect(throws: GlacierError.self) { try await client.describeVault("vault-07") }
            do {
                _ = try await client.describeVault("vault-07")
            } catch let error as GlacierError {
                #expect(error.isNotFound)
                #expect(error.serviceCode == "ResourceNotFoundException")
                if case .service(let d) = error {
                    #expect(d.httpStatus == 404)
                    #expect(d.requestId != nil, "the request id is kept")
                }
            }
        }
    }

    @Test func jobsAreInitiatedListedWithFiltersAndDescribed() async throws {
        try await EmulatorHarness.with { emulator in
            try await TempDirectory.with("client-jobs") { dir in
                let client = emulator.client()
                let file = try Seed.randomFile(size: 3 * (1 << 20) + 77, in: dir)
                try await client.createVault("v")
                let archive = try await client.uploadArchive(
                    vault: "v", file: file.path, description: "three and a bit MiB")
                #expect(archive.size == 3 * (1 << 20) + 77)

                var ids: [String] = []
                for i in 0 ..< 7 {
                    let range = i % 2 == 0 ? nil : InclusiveByteRange(first: 1 << 20, last: (2 << 20) - 1)
                    let job = try await client.initiateArchiveRetrieval(
                        vault: "v", archiveId: archive.archiveId, range: range,
                        tier: i % 3 == 0 ? "Expedited" : "Bulk",
                        description: "job \(i)")
                    ids.append(job.jobId)
                    #expect(job.location?.contains(job.jobId) == true)
                }
                let json = try await client.initiateInventoryRetrieval(vault: "v", format: "JSON")
                let csv = try await client.initiateInventoryRetrieval(vault: "v", format: "CSV")
                for id in ids + [json.jobId, csv.jobId] { try await Seed.waitForJob(client, vault: "v", jobId: id) }

                let all = try await client.listJobs(vault: "v", pageSize: 3)
                #expect(Set(all.jobs.map(\.jobId)) == Set(ids + [json.jobId, csv.jobId]), "all pages of 3")
                #expect(all.skipped.isEmpty)
                let succeeded = try await client.listJobs(vault: "v", statusCode: "Succeeded", completed: true)
                #expect(succeeded.jobs.count == 9)
                let inProgress = try await client.listJobs(vault: "v", statusCode: "InProgress")
                #expect(inProgress.jobs.isEmpty)

                let ranged = try await client.describeJob(vault: "v", jobId: ids[1])
                #expect(ranged.action == "ArchiveRetrieval")
                #expect(ranged.retrievalByteRange == "1048576-2097151")
                #expect(ranged.archiveSizeInBytes == archive.size, "the whole archive's size even for a range")
                #expect(ranged.tier == "Bulk")
                #expect(ranged.archiveSHA256TreeHash == archive.treeHash)
                let inventory = try await client.describeJob(vault: "v", jobId: csv.jobId)
                #expect(inventory.action == "InventoryRetrieval")
                #expect(inventory.inventoryRetrievalParameters?.format == "CSV")
                #expect(inventory.sha256TreeHash == nil)
                #expect((inventory.inventorySizeInBytes ?? 0) > 0)
            }
        }
    }

    @Test func invalidRangesAreRefusedWithTheServiceMessage() async throws {
        try await EmulatorHarness.with { emulator in
            try await TempDirectory.with("client-range") { dir in
                let client = emulator.client()
                let file = try Seed.randomFile(size: 3 << 20, in: dir)
                try await client.createVault("v")
                let archive = try await client.uploadArchive(vault: "v", file: file.path)
                do {
                    _ = try await client.initiateArchiveRetrieval(
                        vault: "v", archiveId: archive.archiveId,
                        range: InclusiveByteRange(first: 1000, last: (2 << 20) - 1))
                    Issue.record("a range not starting on a MiB must be refused")
                } catch let error as GlacierError {
                    #expect(error.serviceCode == "InvalidParameterValueException")
                    #expect(!error.isRetryable)
                }
                #expect(emulator.server.statistics().requests["InitiateJob"] == 1, "a 4xx is not retried")
            }
        }
    }

    @Test func multipartUploadOfALargeFileKeepsItsTreeHash() async throws {
        try await EmulatorHarness.with { emulator in
            try await TempDirectory.with("client-multipart") { dir in
                let client = emulator.client()
                let size = 9 * (1 << 20) + 12345
                let file = try Seed.randomFile(size: size, in: dir)
                try await client.createVault("v")
                let uploaded = try await client.uploadArchive(
                    vault: "v", file: file.path, singlePartLimit: 1 << 20,
                    partSize: 2 << 20, parallelParts: 3)
                let expected = try TreeHash.hash(Array(Data(contentsOf: file))).hex
                #expect(uploaded.treeHash == expected)
                #expect((emulator.server.statistics().requests["UploadMultipartPart"] ?? 0) == 5)
                let job = try await client.initiateArchiveRetrieval(vault: "v", archiveId: uploaded.archiveId)
                try await Seed.waitForJob(client, vault: "v", jobId: job.jobId)
                let described = try await client.describeJob(vault: "v", jobId: job.jobId)
                #expect(described.sha256TreeHash == expected)
                let (bytes, checked) = try await client.getWholeJobOutput(
                    vault: "v", jobId: job.jobId, outputSize: Int64(size),
                    verification: .treeHash)
                #expect(bytes == Array(try Data(contentsOf: file)))
                #expect(checked.serviceTreeHash?.hex == expected)
                #expect(checked.contentType == "application/octet-stream")
            }
        }
    }
}
