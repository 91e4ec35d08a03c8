import AWSSigning

/// Something that can produce credentials: one step of the resolution chain.
public protocol CredentialProvider: Sendable {
    /// Where the credentials come from, for messages (never the credentials themselves).
    var name: String { get }
    /// Returns nil when this source has nothing to offer, and throws when it should have had
    /// credentials but failed (so the user hears why instead of "not found").
    func resolve() async throws -> AWSCredentialSet?
}

/// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN.
struct EnvironmentCredentialProvider: CredentialProvider {
    let environment: AWSEnvironment
    var name: String { "environment variables" }

    func resolve() async throws -> AWSCredentialSet? {
        guard let id = environment["AWS_ACCESS_KEY_ID"] else { return nil }
        guard let secret = environment["AWS_SECRET_ACCESS_KEY"] else {
            throw CredentialError.incompleteProfile(
                profile: "(environment)", file: "the environment",
                missing: "AWS_SECRET_ACCESS_KEY to go with AWS_ACCESS_KEY_ID")
        }
        let token = environment["AWS_SESSION_TOKEN"] ?? environment["AWS_SECURITY_TOKEN"]
        let expiration = environment["AWS_CREDENTIAL_EXPIRATION"].flatMap(ExpirationDate.parse)
        return AWSCredentialSet(accessKeyId: id, secretAccessKey: secret, sessionToken: token, expiration: expiration)
    }
}
