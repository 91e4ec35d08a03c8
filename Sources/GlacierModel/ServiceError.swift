/// The JSON body of every Glacier error: `{"code": ..., "message": ..., "type": ...}`.
public struct GlacierErrorBody: Codable, Sendable, Equatable {
    public var code: String
    public var message: String?
    /// `Client` or `Server`.
    public var type: String?

    public init(code: String, message: String?, type: String?) {
        self.code = code
        self.message = message
        self.type = type
    }
}

/// The error codes Glacier returns, with the HTTP status each comes with.
public enum GlacierErrorCode {
    public static let resourceNotFound = "ResourceNotFoundException"  // 404
    public static let invalidParameterValue = "InvalidParameterValueException"  // 400
    public static let missingParameterValue = "MissingParameterValueException"  // 400
    public static let limitExceeded = "LimitExceededException"  // 400
    public static let policyEnforced = "PolicyEnforcedException"  // 400
    public static let insufficientCapacity = "InsufficientCapacityException"  // 400
    public static let noLongerSupported = "NoLongerSupportedException"  // 400
    public static let requestTimeout = "RequestTimeoutException"  // 408
    public static let serviceUnavailable = "ServiceUnavailableException"  // 500
    public static let throttling = "ThrottlingException"  // 400
    public static let invalidSignature = "InvalidSignatureException"  // 403
    public static let missingAuthenticationToken = "MissingAuthenticationTokenException"  // 403
    public static let unrecognizedClient = "UnrecognizedClientException"  // 403
    public static let requestTimeTooSkewed = "RequestTimeTooSkewed"  // 403
    public static let accessDenied = "AccessDeniedException"  // 403
    public static let expiredToken = "ExpiredTokenException"  // 403

    /// Codes that mean "slow down"; they are retried with backoff whatever their status.
    public static let throttlingCodes: Set<String> = [
        throttling, "Throttling", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "SlowDown", "RequestLimitExceeded", "RequestThrottled",
    ]
}
