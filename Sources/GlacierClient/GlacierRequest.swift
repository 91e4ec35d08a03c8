import AWSSigning
import Foundation
import GlacierIntegrity
import GlacierModel
import HTTPTransport

/// One Glacier API call before signing: the operation's path under the account, its query,
/// extra headers and body.
struct GlacierRequest: Sendable {
    /// The operation name, for logs.
    var operation: String
    var method: String
    /// Path segments after `/{accountId}`, unencoded (e.g. ["vaults", name, "jobs", id]).
    var pathSegments: [String]
    var query: [(String, String)] = []
    var headers: HTTPHeaders = HTTPHeaders()
    var body: RequestBody = .none
    /// SHA-256 of the body, hex; computed by the caller for file bodies.
    var bodySHA256: String?

    /// The percent-encoded path and query as they go on the wire.
    func wirePath(accountId: String, prefix: String) -> (path: String, query: String) {
        let segments = [accountId] + pathSegments
        let path = prefix + "/" + segments.map { SigV4Canonical.uriEncode($0) }.joined(separator: "/")
        let query = query.map { "\(SigV4Canonical.uriEncode($0.0))=\(SigV4Canonical.uriEncode($0.1))" }
            .joined(separator: "&")
        return (path, query)
    }
}

/// Builds the signed HTTP request for a GlacierRequest. Made once per client: the endpoint's
/// parts are worked out here, not on every request.
struct RequestSigner: Sendable {
    let configuration: GlacierClientConfiguration
    private let hostHeader: String
    private let pathPrefix: String

    init(configuration: GlacierClientConfiguration) {
        self.configuration = configuration
        hostHeader = configuration.hostHeader
        pathPrefix = configuration.pathPrefix
    }

    func signedRequest(_ request: GlacierRequest, credentials: AWSCredentialSet, date: Date) -> HTTPRequest {
        let (path, query) = request.wirePath(accountId: configuration.accountId, prefix: pathPrefix)
        let payloadHash: String
        switch request.body {
        case .none: payloadHash = SignableRequest.emptyPayloadHash
        case .bytes(let b): payloadHash = request.bodySHA256 ?? SHA256.hash(b).hex
        case .fileRegion: payloadHash = request.bodySHA256!
        }
        var signable = SignableRequest(
            method: request.method, path: path, query: query,
            headers: [
                ("Host", hostHeader),
                (GlacierProtocol.Header.apiVersion, GlacierProtocol.apiVersion),
            ],
            payloadHash: payloadHash)
        if case .none = request.body {
        } else {
            signable.setHeader(GlacierProtocol.Header.contentSHA256, payloadHash)
        }
        for (name, value) in request.headers { signable.setHeader(name, value) }
        SigV4Signer(service: GlacierProtocol.signingService, region: configuration.region)
            .sign(&signable, credentials: credentials, date: date)
        let base = configuration.endpoint.dropLast(pathPrefix.count)
        let url = base + path + (query.isEmpty ? "" : "?" + query)
        return HTTPRequest(
            method: request.method, url: String(url),
            headers: HTTPHeaders(signable.headers),
            body: request.body)
    }
}
