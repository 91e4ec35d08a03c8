import AWSSigning
import Foundation
import HTTPTransport
import Synchronization

/// Resolves credentials the way the AWS CLI does — environment, then the profile's shared
/// credentials/config files (with `credential_process`), then EC2 instance metadata — and keeps
/// them fresh: temporary credentials are renewed before they expire.
public final class CredentialChain: Sendable {
    /// Renew temporary credentials this long before they expire.
    public static let refreshMargin: TimeInterval = 5 * 60

    private let providers: [any CredentialProvider]
    private let cache = Mutex<CachedCredentials>(CachedCredentials())
    private let clock: @Sendable () -> Date

    struct CachedCredentials {
        var credentials: AWSCredentialSet?
        var refreshing: Task<AWSCredentialSet, any Error>?
    }

    /// - Parameter profile: a profile named explicitly (`--profile`); as in the AWS CLI, it
    ///   takes precedence over credentials in the environment.
    public init(
        profile: String? = nil, environment: AWSEnvironment = AWSEnvironment(), http: HTTPClient,
        clock: @escaping @Sendable () -> Date = Date.init
    ) {
        var providers: [any CredentialProvider] = []
        if profile == nil { providers.append(EnvironmentCredentialProvider(environment: environment)) }
        let profileName = environment.profileName(explicit: profile)
        providers.append(
            ProfileCredentialProvider(
                environment: environment, profile: profileName,
                explicit: profile != nil || environment["AWS_PROFILE"] != nil))
        providers.append(InstanceMetadataCredentialProvider(environment: environment, http: http))
        self.providers = providers
        self.clock = clock
    }

    init(providers: [any CredentialProvider], clock: @escaping @Sendable () -> Date = Date.init) {
        self.providers = providers
        self.clock = clock
    }

    /// Current credentials, resolving or renewing them first when needed. Concurrent callers
    /// share one resolution.
    public func credentials() async throws -> AWSCredentialSet {
        let now = clock()
        enum Next { case ready(AWSCredentialSet), wait(Task<AWSCredentialSet, any Error>) }
        let next: Next = cache.withLock { cache in
            if let c = cache.credentials, !Self.needsRefresh(c, now: now) { return .ready(c) }
            if let running = cache.refreshing { return .wait(running) }
            let t = Task { try await self.resolveFromProviders() }
            cache.refreshing = t
            return .wait(t)
        }
        switch next {
        case .ready(let credentials):
            return credentials
        case .wait(let task):
            do {
                let creds = try await task.value
                cache.withLock { cache in
                    cache.credentials = creds
                    cache.refreshing = nil
                }
                return creds
            } catch {
                cache.withLock { $0.refreshing = nil }
                throw error
            }
        }
    }

    /// Forgets the cached credentials, e.g. after the service rejected them, so the next call
    /// reads the sources again (picking up rotated keys).
    public func invalidate() {
        cache.withLock { $0.credentials = nil }
    }

    static func needsRefresh(_ c: AWSCredentialSet, now: Date) -> Bool {
        guard let expiration = c.expiration else { return false }
        return expiration.timeIntervalSince(now) < refreshMargin
    }

    private func resolveFromProviders() async throws -> AWSCredentialSet {
        var tried: [String] = []
        for provider in providers {
            tried.append(provider.name)
            if let creds = try await provider.resolve() {
                SecretRedactor.shared.register(creds)
                return creds
            }
        }
        throw CredentialError.notFound(tried: tried)
    }
}
