import Foundation

/// An access key pair, with the session token and expiry that temporary credentials carry.
///
/// Its `description` never shows the secret or the token, so logging one by mistake is harmless.
public struct AWSCredentialSet: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public var accessKeyId: String
    public var secretAccessKey: String
    public var sessionToken: String?
    /// When temporary credentials stop working; nil for long-term keys.
    public var expiration: Date?

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil, expiration: Date? = nil) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
    }

    /// The key id with all but its last four characters masked, for messages.
    public var maskedAccessKeyId: String {
        accessKeyId.count <= 4 ? "****" : String(repeating: "*", count: 4) + accessKeyId.suffix(4)
    }

    public var description: String {
        var s = "credentials(\(maskedAccessKeyId)"
        if sessionToken != nil { s += ", temporary" }
        if let expiration { s += ", expires \(expiration)" }
        return s + ")"
    }

    public var debugDescription: String { description }

    /// The values that must never appear in logs, errors or files.
    public var secrets: [String] { [secretAccessKey] + (sessionToken.map { [$0] } ?? []) }
}
