import Foundation
import HTTPTransport

/// Where and how a GlacierClient talks to the service.
public struct GlacierClientConfiguration: Sendable {
    /// The service's base URL, e.g. `https://glacier.eu-west-1.amazonaws.com` or an emulator's.
    public var endpoint: String
    /// The region requests are signed for.
    public var region: String
    /// `-` means the account of the credentials.
    public var accountId: String
    public var retry: RetryPolicy
    public var http: HTTPClientConfiguration
    /// Deadline for one JSON operation (not for data transfers, which use low-speed limits).
    public var operationTimeoutSeconds: Double = 60

    public init(
        endpoint: String? = nil, region: String, accountId: String = "-",
        retry: RetryPolicy = RetryPolicy(), http: HTTPClientConfiguration = HTTPClientConfiguration()
    ) {
        self.region = region
        self.endpoint = Self.normalize(endpoint ?? Self.defaultEndpoint(region: region))
        self.accountId = accountId
        self.retry = retry
        self.http = http
    }

    /// The public endpoint of a region.
    public static func defaultEndpoint(region: String) -> String {
        region.hasPrefix("cn-")
            ? "https://glacier.\(region).amazonaws.com.cn" : "https://glacier.\(region).amazonaws.com"
    }

    static func normalize(_ endpoint: String) -> String {
        var e = endpoint
        while e.hasSuffix("/") { e.removeLast() }
        return e
    }

    /// Checks the endpoint before any request, so a typo gets a clear message.
    public func validateEndpoint() throws(GlacierError) {
        guard let url = URLComponents(string: endpoint), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty
        else {
            throw .invalidConfiguration(
                "the endpoint '\(endpoint)' is not an http:// or https:// URL, e.g. "
                    + "https://glacier.us-east-1.amazonaws.com or http://127.0.0.1:9090")
        }
    }

    /// The value of the Host header (host, plus the port when it is not the scheme's default).
    var hostHeader: String {
        guard let url = URLComponents(string: endpoint), let host = url.host else { return "" }
        let bracketed = host.contains(":") ? "[\(host)]" : host
        if let port = url.port, !((url.scheme == "http" && port == 80) || (url.scheme == "https" && port == 443)) {
            return "\(bracketed):\(port)"
        }
        return bracketed
    }

    /// A path prefix in the endpoint URL (rare; some proxies need one).
    var pathPrefix: String { URLComponents(string: endpoint)?.path ?? "" }
}
