import AWSCredentials
import GlacierModel
import HTTPTransport

/// What the service said when it refused a request.
public struct ServiceErrorDetails: Sendable, Equatable {
    public var code: String
    public var message: String
    public var httpStatus: Int
    public var requestId: String?

    public init(code: String, message: String, httpStatus: Int, requestId: String?) {
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
        self.requestId = requestId
    }
}

/// Why a response's bytes were not accepted. None of these bytes ever reach a caller.
public enum IntegrityFailure: Sendable, Equatable, CustomStringConvertible {
    case unexpectedStatus(Int)
    case contentRangeMismatch(expected: String, got: String?)
    case lengthMismatch(expected: Int64, got: Int64)
    /// The body outgrew the room made for it (say, a proxy that ignored Range and sent it all).
    case bodyTooLong(limit: Int)
    case checksumMissing(range: String)
    case checksumMalformed(String)
    case checksumMismatch(range: String, expected: String, computed: String)

    public var description: String {
        switch self {
        case .unexpectedStatus(let s): "unexpected HTTP status \(s) for a byte range"
        case .contentRangeMismatch(let e, let g): "Content-Range \(g ?? "(missing)") does not match the requested \(e)"
        case .lengthMismatch(let e, let g): "body of \(g) bytes where \(e) were expected"
        case .bodyTooLong(let limit): "body longer than the \(limit) bytes expected (was Range ignored on the way?)"
        case .checksumMissing(let r): "no x-amz-sha256-tree-hash for the tree-hash aligned range \(r)"
        case .checksumMalformed(let v): "malformed x-amz-sha256-tree-hash '\(v.prefix(80))'"
        case .checksumMismatch(let r, let e, let c):
            "tree hash mismatch for \(r): service sent \(e), bytes hash to \(c)"
        }
    }
}

/// Every way a Glacier operation can fail. Messages never contain secrets.
public enum GlacierError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The service answered with an AWS error.
    case service(ServiceErrorDetails)
    /// The request never got a complete answer.
    case transport(TransportError)
    /// The answer arrived but its bytes could not be trusted.
    case integrity(IntegrityFailure)
    /// The connection broke after part of a successful answer arrived: how many body bytes
    /// reached the buffers, and the checksum the answer announced for the whole range, if any.
    case interrupted(TransportError, receivedBytes: Int, announcedTreeHash: String?)
    /// The answer was not the JSON or headers the API defines.
    case malformedResponse(String)
    case credentials(CredentialError)
    case invalidConfiguration(String)

    /// Whether another attempt may succeed.
    public var isRetryable: Bool {
        switch self {
        case .service(let d):
            return d.httpStatus >= 500 || d.httpStatus == 408 || d.httpStatus == 429
                || GlacierErrorCodes.isThrottling(d.code) || d.code == GlacierErrorCode.requestTimeout
        case .transport(let t), .interrupted(let t, _, _):
            return t.isTransient
        case .integrity:
            return true
        case .malformedResponse:
            return true  // a garbled body is more often a network fault than a service bug
        case .credentials, .invalidConfiguration:
            return false
        }
    }

    /// The service's error code, if it sent one.
    public var serviceCode: String? {
        if case .service(let d) = self { return d.code }
        return nil
    }

    public var isNotFound: Bool { serviceCode == GlacierErrorCode.resourceNotFound }

    public var description: String {
        switch self {
        case .service(let d):
            var s = "\(d.code) (HTTP \(d.httpStatus)): \(d.message)"
            if let id = d.requestId { s += " [request id \(id)]" }
            if let hint = GlacierErrorCodes.hint(for: d.code) { s += ". \(hint)" }
            return s
        case .transport(let t): return "network error: \(t)"
        case .interrupted(let t, let n, _): return "network error after \(n) body bytes: \(t)"
        case .integrity(let f): return "integrity check failed: \(f)"
        case .malformedResponse(let m): return "malformed response from the service: \(m)"
        case .credentials(let c): return c.description
        case .invalidConfiguration(let m): return m
        }
    }
}

enum GlacierErrorCodes {
    static func isThrottling(_ code: String) -> Bool { GlacierErrorCode.throttlingCodes.contains(code) }

    static let authenticationCodes: Set<String> = [
        GlacierErrorCode.invalidSignature, GlacierErrorCode.unrecognizedClient, GlacierErrorCode.expiredToken,
        "InvalidClientTokenId", "ExpiredToken", "TokenRefreshRequired",
    ]

    static func isClockSkew(_ d: ServiceErrorDetails) -> Bool {
        d.code == GlacierErrorCode.requestTimeTooSkewed || d.code == "RequestExpired"
            || (d.code == GlacierErrorCode.invalidSignature && d.message.contains("Signature expired"))
    }

    static func hint(for code: String) -> String? {
        switch code {
        case GlacierErrorCode.unrecognizedClient, "InvalidClientTokenId":
            "The access key id is not known to the service: check the credentials glacierfs uses (`aws sts get-caller-identity`)."
        case GlacierErrorCode.invalidSignature:
            "The secret key does not match the access key id, or the region is wrong."
        case GlacierErrorCode.missingAuthenticationToken:
            "The request was not signed: provide AWS credentials."
        case GlacierErrorCode.expiredToken:
            "The temporary credentials have expired: refresh them."
        case GlacierErrorCode.accessDenied:
            "The credentials lack permission for this Glacier action."
        case GlacierErrorCode.noLongerSupported:
            "The service no longer supports this request for this account."
        default:
            nil
        }
    }
}
