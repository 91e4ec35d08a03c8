import AWSCredentials
import AWSSigning

/// Supplies the credentials each request is signed with.
public protocol CredentialSource: Sendable {
    func credentials() async throws -> AWSCredentialSet
    /// Called after the service rejected the current credentials, so they are looked up again.
    func invalidate()
}

extension CredentialChain: CredentialSource {}

/// Fixed credentials, e.g. for the embedded emulator.
public struct StaticCredentials: CredentialSource {
    let value: AWSCredentialSet

    public init(_ value: AWSCredentialSet) {
        self.value = value
        SecretRedactor.shared.register(value)
    }

    public func credentials() async throws -> AWSCredentialSet { value }
    public func invalidate() {}
}
