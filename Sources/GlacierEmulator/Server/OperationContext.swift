import Foundation
import GlacierIntegrity
import GlacierModel
import NIOCore

/// What an operation handler works with: the service, the request, and its body — read whole
/// beforehand, or (for archive uploads) streamed through `stream`.
struct OperationContext {
    let service: EmulatorService
    let request: HTTPRequest
    /// The whole body for operations that read it up front; empty for streamed operations.
    let body: ByteBuffer
    let stream: RequestBody
    let writer: ResponseWriter
    /// Set when the signature could only be checked once the body's SHA-256 is known.
    let authPending: Bool

    var store: EmulatorStore { service.store }

    /// Sends `100 Continue` if the client waits for it. Call after the headers have been checked.
    func beginBody() async throws {
        guard request.expectsContinue, !stream.continueSent else { return }
        stream.continueSent = true
        try await writer.sendContinue()
    }

    /// Checks a streamed body's SHA-256 against `x-amz-content-sha256` and, when the signature
    /// check was deferred, verifies the signature over it.
    func checkPayload(_ contentSHA256: SHA256Digest) throws(ServiceError) {
        if let declared = request.header(GlacierProtocol.Header.contentSHA256),
            SHA256Digest(hex: declared) != contentSHA256
        {
            throw .invalidParameter(
                "The value passed in x-amz-content-sha256 does not match the SHA-256 of the "
                    + "request body (computed \(contentSHA256.hex)).")
        }
        if authPending, let authenticator = service.authenticator {
            try authenticator.verify(request, payloadHash: contentSHA256.hex)
        }
    }

    /// A required header, or MissingParameterValueException naming it.
    func requiredHeader(_ name: String) throws(ServiceError) -> String {
        guard let value = request.header(name), !value.isEmpty else {
            throw .missingParameter("Required header or parameter \(name) is missing.")
        }
        return value
    }

    /// A tree hash header, parsed.
    func treeHashHeader() throws(ServiceError) -> SHA256Digest {
        let text = try requiredHeader(GlacierProtocol.Header.treeHash)
        guard let digest = SHA256Digest(hex: text) else {
            throw .invalidParameter(
                "\(GlacierProtocol.Header.treeHash) must be 64 hexadecimal characters, "
                    + "not '\(text)'.")
        }
        return digest
    }

    /// `x-amz-archive-description`: at most 1024 printable ASCII characters.
    func archiveDescriptionHeader() throws(ServiceError) -> String? {
        guard let text = request.header(GlacierProtocol.Header.archiveDescription) else { return nil }
        guard text.utf8.count <= 1024, text.utf8.allSatisfy({ $0 >= 0x20 && $0 <= 0x7e }) else {
            throw .invalidParameter("The archive description must be at most 1024 printable ASCII characters.")
        }
        return text
    }

    /// Looks up a vault or throws ResourceNotFoundException.
    func requireVault(_ name: String, in state: StoreState) throws(ServiceError) -> StoredVault {
        guard let vault = state.vaults[name] else { throw service.vaultNotFound(name) }
        return vault
    }

    func location(_ path: String) -> String { "/\(service.accountId)/vaults/\(path)" }
}
