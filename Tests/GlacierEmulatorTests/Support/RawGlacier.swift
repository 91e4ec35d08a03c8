import Foundation
import GlacierIntegrity

/// Unsigned Glacier calls over `RawHTTP`, for emulators started without keys.
struct RawGlacier: Sendable {
    let port: Int
    var vault = "raw-vault"

    func createVault() async throws {
        let r = try await RawHTTP.request(port: port, method: "PUT", path: "/-/vaults/\(vault)")
        guard r.status == 201 else { throw TestFailure("CreateVault: \(r.status) \(r.text)") }
    }

    func upload(_ bytes: [UInt8], description: String = "raw") async throws -> String {
        let r = try await RawHTTP.request(
            port: port, method: "POST", path: "/-/vaults/\(vault)/archives",
            headers: RawHTTP.glacierHeaders + [
                ("x-amz-sha256-tree-hash", TreeHash.hash(bytes).hex),
                ("x-amz-archive-description", description),
            ], body: bytes)
        guard r.status == 201, let id = r.header("x-amz-archive-id") else {
            throw TestFailure("UploadArchive: \(r.status) \(r.text)")
        }
        return id
    }

    func initiateJob(_ json: String) async throws -> String {
        let r = try await RawHTTP.request(
            port: port, method: "POST", path: "/-/vaults/\(vault)/jobs",
            body: Array(json.utf8))
        guard r.status == 202, let id = r.header("x-amz-job-id") else {
            throw TestFailure("InitiateJob: \(r.status) \(r.text)")
        }
        return id
    }

    func retrieve(_ archiveId: String, range: String? = nil) async throws -> String {
        let extra = range.map { ",\"RetrievalByteRange\":\"\($0)\"" } ?? ""
        return try await initiateJob("{\"Type\":\"archive-retrieval\",\"ArchiveId\":\"\(archiveId)\"\(extra)}")
    }

    /// Creates the vault, uploads `bytes` and starts their retrieval; returns the job's id.
    func retrievalJob(of bytes: [UInt8]) async throws -> String {
        try await createVault()
        return try await retrieve(try await upload(bytes))
    }

    /// PUTs `json` as the emulator's shaping; the HTTP status.
    func setShaping(_ json: String) async throws -> Int {
        try await RawHTTP.admin(port: port, method: "PUT", path: "shaping", json: json).status
    }

    /// The shaping as the admin API shows it.
    func shaping() async throws -> String {
        try await RawHTTP.admin(port: port, method: "GET", path: "shaping").text
    }

    func output(_ jobId: String, range: String? = nil) async throws -> RawHTTP.Response {
        var headers = RawHTTP.glacierHeaders
        if let range { headers.append(("Range", range)) }
        return try await RawHTTP.request(
            port: port, method: "GET", path: "/-/vaults/\(vault)/jobs/\(jobId)/output",
            headers: headers)
    }

    func get(_ path: String) async throws -> RawHTTP.Response {
        try await RawHTTP.request(port: port, method: "GET", path: "/-/vaults/\(vault)" + path)
    }
}
