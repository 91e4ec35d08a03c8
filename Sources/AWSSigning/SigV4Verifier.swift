import Foundation

/// Checks SigV4 `Authorization` headers on the server side, with AWS's error codes.
public struct SigV4Verifier: Sendable {
    /// Why a request was refused; the cases map onto AWS's 403 error codes.
    public enum Failure: Error, Equatable, Sendable {
        /// No Authorization header at all (AWS: MissingAuthenticationTokenException).
        case missingAuthentication
        /// The access key is unknown (AWS: UnrecognizedClientException).
        case unknownAccessKey(String)
        /// The header is malformed or the signature does not match (AWS: InvalidSignatureException).
        case invalidSignature(String)
        /// The request time is too far from the server's clock (AWS: RequestTimeTooSkewed).
        case requestTimeTooSkewed(requestTime: String, serverTime: String)
    }

    public let service: String
    /// Secret keys by access key id.
    public let secrets: [String: String]
    /// How far the request's X-Amz-Date may be from the server's clock.
    public let allowedSkew: TimeInterval

    public init(service: String, secrets: [String: String], allowedSkew: TimeInterval = 15 * 60) {
        self.service = service
        self.secrets = secrets
        self.allowedSkew = allowedSkew
    }

    /// Verifies the request; `now` is the server's clock.
    public func verify(_ request: SignableRequest, now: Date) throws(Failure) {
        guard let authorization = request.header("Authorization") else { throw .missingAuthentication }
        guard let parsed = Self.parseAuthorization(authorization) else {
            throw .invalidSignature(
                "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' "
                    + "parameters for AWS4-HMAC-SHA256.")
        }
        guard let secret = secrets[parsed.accessKeyId] else {
            throw .unknownAccessKey("The security token included in the request is invalid.")
        }
        guard let amzDate = request.header("X-Amz-Date"), let requestTime = AmzDate.parse(amzDate) else {
            throw .invalidSignature("The request must contain a valid X-Amz-Date header.")
        }
        if abs(requestTime.timeIntervalSince(now)) > allowedSkew {
            throw .requestTimeTooSkewed(requestTime: amzDate, serverTime: AmzDate.format(now))
        }
        let scopeParts = parsed.scope.split(separator: "/").map(String.init)
        guard scopeParts.count == 4, scopeParts[0] == String(amzDate.prefix(8)), scopeParts[2] == service,
            scopeParts[3] == "aws4_request"
        else {
            throw .invalidSignature("Credential should be scoped to a valid date, region and service '\(service)'.")
        }
        guard parsed.signedHeaders.contains("host") else {
            throw .invalidSignature("The 'Host' header must be signed.")
        }
        let signer = SigV4Signer(service: service, region: scopeParts[1])
        guard
            let expected = signer.signature(
                for: request, signedHeaderNames: parsed.signedHeaders,
                amzDate: amzDate, accessKeyId: parsed.accessKeyId,
                secretAccessKey: secret)
        else {
            throw .invalidSignature("A header named in SignedHeaders is missing from the request.")
        }
        guard Self.constantTimeEquals(expected.signature, parsed.signature) else {
            throw .invalidSignature(
                "The request signature we calculated does not match the signature you "
                    + "provided. Check your AWS Secret Access Key and signing method.")
        }
    }

    struct ParsedAuthorization {
        var accessKeyId: String
        var scope: String
        var signedHeaders: [String]
        var signature: String
    }

    static func parseAuthorization(_ header: String) -> ParsedAuthorization? {
        let prefix = "AWS4-HMAC-SHA256 "
        guard header.hasPrefix(prefix) else { return nil }
        var fields: [String: String] = [:]
        for part in header.dropFirst(prefix.count).split(separator: ",") {
            let kv = part.trimmingSpaces.split(separator: "=", maxSplits: 1)
            guard kv.count == 2 else { return nil }
            fields[String(kv[0])] = String(kv[1])
        }
        guard let credential = fields["Credential"], let signed = fields["SignedHeaders"],
            let signature = fields["Signature"], let slash = credential.firstIndex(of: "/")
        else { return nil }
        return ParsedAuthorization(
            accessKeyId: String(credential[..<slash]),
            scope: String(credential[credential.index(after: slash)...]),
            signedHeaders: signed.split(separator: ";").map(String.init),
            signature: signature)
    }

    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in 0 ..< x.count { diff |= x[i] ^ y[i] }
        return diff == 0
    }
}
