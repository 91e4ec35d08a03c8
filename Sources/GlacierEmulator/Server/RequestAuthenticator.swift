import AWSSigning
import Foundation
import GlacierModel
import NIOHTTP1

/// Checks SigV4 signatures with the configured key pair and maps failures onto AWS's 403 errors.
struct RequestAuthenticator: Sendable {
    private let verifier: SigV4Verifier
    private let region: String
    private let clockSkew: TimeInterval

    init(credentials: EmulatorCredentials, region: String, clockSkew: TimeInterval, allowedSkew: TimeInterval) {
        verifier = SigV4Verifier(
            service: GlacierProtocol.signingService,
            secrets: [credentials.accessKeyId: credentials.secretAccessKey],
            allowedSkew: allowedSkew)
        self.region = region
        self.clockSkew = clockSkew
    }

    /// Verifies `request` signed over a body whose SHA-256 is `payloadHash`.
    func verify(_ request: HTTPRequest, payloadHash: String) throws(ServiceError) {
        let now = Date().addingTimeInterval(clockSkew)
        do {
            try verifier.verify(request.signable(payloadHash: payloadHash), now: now)
        } catch {
            throw Self.map(error)
        }
        if let scoped = Self.scopeRegion(request.header("Authorization")), scoped != region {
            throw ServiceError(
                .forbidden, GlacierErrorCode.invalidSignature,
                "Credential should be scoped to a valid region, not '\(scoped)'. "
                    + "This endpoint serves '\(region)'.")
        }
    }

    /// Refuses a request without any Authorization header before its body is read.
    func requireAuthorization(_ request: HTTPRequest) throws(ServiceError) {
        if request.header("Authorization") == nil { throw Self.map(.missingAuthentication) }
    }

    private static func map(_ failure: SigV4Verifier.Failure) -> ServiceError {
        switch failure {
        case .missingAuthentication:
            ServiceError(.forbidden, GlacierErrorCode.missingAuthenticationToken, "Missing Authentication Token")
        case .unknownAccessKey(let message):
            ServiceError(.forbidden, GlacierErrorCode.unrecognizedClient, message)
        case .invalidSignature(let message):
            ServiceError(.forbidden, GlacierErrorCode.invalidSignature, message)
        case .requestTimeTooSkewed(let requestTime, let serverTime):
            ServiceError(
                .forbidden, GlacierErrorCode.requestTimeTooSkewed,
                "The difference between the request time and the server's time is too large. "
                    + "Request time: \(requestTime); server time: \(serverTime).")
        }
    }

    /// The region in `Credential=KEY/DAY/REGION/SERVICE/aws4_request`.
    private static func scopeRegion(_ authorization: String?) -> String? {
        guard let authorization, let range = authorization.range(of: "Credential=") else { return nil }
        let credential = authorization[range.upperBound...].prefix { $0 != "," && $0 != " " }
        let parts = credential.split(separator: "/")
        return parts.count == 5 ? String(parts[2]) : nil
    }
}
