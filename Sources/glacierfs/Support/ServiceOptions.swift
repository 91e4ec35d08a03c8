import AWSCredentials
import ArgumentParser
import Foundation
import GlacierClient
import HTTPTransport
import Logging

/// Where the vaults are and who is asking: shared by every command that talks to the service.
struct ServiceOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The service URL, for an emulator or a proxy (default: https://glacier.REGION.amazonaws.com).",
            valueName: "url"))
    var endpoint: String?

    @Option(
        help: ArgumentHelp(
            "The AWS region of the vaults (default: AWS_REGION, AWS_DEFAULT_REGION, or the profile's region).",
            valueName: "region"))
    var region: String?

    @Option(
        help: ArgumentHelp(
            "The AWS CLI profile to take credentials and region from (default: AWS_PROFILE or 'default').",
            valueName: "name"))
    var profile: String?

    @Option(
        name: .customLong("account-id"),
        help: ArgumentHelp("The vaults' account; '-' means the credentials' own.", valueName: "id"))
    var accountId: String = "-"

    @Option(
        name: .customLong("ca-bundle"),
        help: ArgumentHelp(
            "A PEM file of CA certificates to trust instead of the system's (also AWS_CA_BUNDLE).",
            valueName: "path"))
    var caBundle: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .notice

    func validate() throws {
        if let endpoint,
            URLComponents(string: endpoint)?.scheme.map({ ["http", "https"].contains($0.lowercased()) }) != true
        {
            throw ValidationError(
                "--endpoint must be an http:// or https:// URL, e.g. https://glacier.us-east-1.amazonaws.com")
        }
        if accountId != "-" && !(accountId.count == 12 && accountId.allSatisfy(\.isNumber)) {
            throw ValidationError("--account-id must be '-' or a 12-digit AWS account id")
        }
    }

    /// The region to sign for: explicit, from the environment or profile, or us-east-1 for an
    /// explicit endpoint (emulators ignore it).
    func resolvedRegion() throws -> String {
        if let region { return region }
        if let r = RegionResolver.resolve(profile: profile) { return r }
        if endpoint != nil { return "us-east-1" }
        throw UserFacingError(
            "no AWS region is set: pass --region REGION (e.g. --region eu-west-1), set AWS_REGION, "
                + "or add 'region = ...' to the profile in ~/.aws/config", exitCode: GlacierExit.usage)
    }

    /// Connections libcurl opens to the endpoint, and so the most GetJobOutput requests that can
    /// really be in flight (`--parallel-fetches` may not ask for more).
    static let connectionsPerHost = 32

    func httpConfiguration() -> HTTPClientConfiguration {
        var http = HTTPClientConfiguration()
        http.caBundlePath = caBundle ?? ProcessInfo.processInfo.environment["AWS_CA_BUNDLE"]
        http.maxConnectionsPerHost = Self.connectionsPerHost
        return http
    }

    /// A client with the AWS CLI's credential chain.
    func makeClient(retry: RetryPolicy = RetryPolicy(), connectTimeout: Double = 10) throws -> GlacierClient {
        var http = httpConfiguration()
        http.connectTimeoutSeconds = connectTimeout
        let configuration = GlacierClientConfiguration(
            endpoint: endpoint, region: try resolvedRegion(),
            accountId: accountId, retry: retry, http: http)
        do { try configuration.validateEndpoint() } catch {
            throw UserFacingError(error.description, exitCode: GlacierExit.usage)
        }
        let transport = HTTPClient(configuration: http)
        let credentials = CredentialChain(profile: profile, http: transport)
        return GlacierClient(configuration: configuration, credentials: credentials, http: transport)
    }
}

/// Turns client errors into messages and exit codes a user can act on.
enum ServiceErrorReport {
    static func userFacing(_ error: any Error, endpoint: String) -> UserFacingError {
        if let error = error as? UserFacingError { return error }
        guard let error = error as? GlacierError else { return UserFacingError("\(error)") }
        switch error {
        case .credentials(let c):
            return UserFacingError(c.description, exitCode: GlacierExit.credentials)
        case .service(let d)
        where [
            "UnrecognizedClientException", "InvalidSignatureException", "InvalidClientTokenId",
            "MissingAuthenticationTokenException", "ExpiredTokenException",
            "AccessDeniedException",
        ].contains(d.code):
            return UserFacingError("the service rejected the credentials: \(error)", exitCode: GlacierExit.credentials)
        case .transport(let t):
            return UserFacingError(
                "cannot reach \(endpoint): \(t). Check the endpoint and region, your network and "
                    + "proxy settings (https_proxy, no_proxy).", exitCode: GlacierExit.unreachable)
        case .integrity:
            return UserFacingError(error.description, exitCode: GlacierExit.integrity)
        case .service:
            return UserFacingError(error.description, exitCode: GlacierExit.service)
        default:
            return UserFacingError(error.description)
        }
    }
}
