import Foundation
import GlacierIntegrity

/// Signs requests with AWS Signature Version 4 (header form).
public struct SigV4Signer: Sendable {
    public let service: String
    public let region: String

    public init(service: String, region: String) {
        self.service = service
        self.region = region
    }

    /// Header names that proxies and HTTP stacks may add or rewrite, so they are never signed.
    static let unsignedHeaders: Set<String> = [
        "authorization", "user-agent", "expect", "x-amzn-trace-id", "connection", "transfer-encoding",
        "content-length", "accept", "accept-encoding",
    ]

    /// Adds `X-Amz-Date`, `X-Amz-Security-Token` (for temporary credentials) and `Authorization`.
    ///
    /// - Parameter signSessionToken: whether the token is part of the signed headers (the common
    ///   case) or appended after signing, as some services want.
    public func sign(
        _ request: inout SignableRequest, credentials: AWSCredentialSet, date: Date = Date(),
        signSessionToken: Bool = true
    ) {
        let amzDate = AmzDate.format(date)
        request.setHeader("X-Amz-Date", amzDate)
        if let token = credentials.sessionToken, signSessionToken {
            request.setHeader("X-Amz-Security-Token", token)
        }
        let names = request.headers.map { $0.name.lowercased() }.filter { !Self.unsignedHeaders.contains($0) }
        let parts = signature(
            for: request, signedHeaderNames: names, amzDate: amzDate,
            accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey)!
        request.setHeader("Authorization", parts.authorization)
        if let token = credentials.sessionToken, !signSessionToken {
            request.setHeader("X-Amz-Security-Token", token)
        }
    }

    /// The pieces of a signature; exposed so tests can check each stage against the AWS suite.
    public struct Signature: Sendable {
        public let canonicalRequest: String
        public let stringToSign: String
        public let signature: String
        public let authorization: String
    }

    /// Computes the signature over the named headers. Returns nil if a named header is missing.
    public func signature(
        for request: SignableRequest, signedHeaderNames: [String], amzDate: String,
        accessKeyId: String, secretAccessKey: String
    ) -> Signature? {
        guard let headers = SigV4Canonical.canonicalHeaders(request.headers, names: signedHeaderNames) else {
            return nil
        }
        let canonicalRequest = [
            request.method.uppercased(),
            SigV4Canonical.canonicalURI(path: request.path),
            SigV4Canonical.canonicalQuery(request.query),
            headers.block,
            headers.signedHeaders,
            request.payloadHash,
        ].joined(separator: "\n")
        let day = String(amzDate.prefix(8))
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope)\n\(SHA256.hash(canonicalRequest).hex)"
        let key = Self.signingKey(secret: secretAccessKey, day: day, region: region, service: service)
        // An HMAC-SHA256 is 32 bytes, like a digest, so the digest's hex form serves.
        let signature = SHA256.hmac(key: key, message: Array(stringToSign.utf8)).withUnsafeBytes {
            SHA256Digest(copying: $0)
        }.hex
        let authorization =
            "AWS4-HMAC-SHA256 Credential=\(accessKeyId)/\(scope), "
            + "SignedHeaders=\(headers.signedHeaders), Signature=\(signature)"
        return Signature(
            canonicalRequest: canonicalRequest, stringToSign: stringToSign, signature: signature,
            authorization: authorization)
    }

    static func signingKey(secret: String, day: String, region: String, service: String) -> [UInt8] {
        var key = SHA256.hmac(key: Array("AWS4\(secret)".utf8), message: Array(day.utf8))
        key = SHA256.hmac(key: key, message: Array(region.utf8))
        key = SHA256.hmac(key: key, message: Array(service.utf8))
        return SHA256.hmac(key: key, message: Array("aws4_request".utf8))
    }
}
