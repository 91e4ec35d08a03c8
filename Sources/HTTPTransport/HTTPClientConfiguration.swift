/// Limits and TLS settings shared by every request of one client.
public struct HTTPClientConfiguration: Sendable {
    public var connectTimeoutSeconds: Double = 10
    /// A transfer slower than `lowSpeedBytesPerSecond` for `lowSpeedSeconds` is abandoned.
    public var lowSpeedBytesPerSecond: Int = 1024
    public var lowSpeedSeconds: Int = 30
    /// Connections kept per host; parallel transfers beyond this wait for a free one.
    public var maxConnectionsPerHost: Int = 16
    /// A CA bundle to trust instead of the system's (the AWS CLI reads AWS_CA_BUNDLE for this).
    public var caBundlePath: String?
    /// Off only by explicit choice; the caller must tell the user loudly.
    public var verifyTLS: Bool = true
    /// libcurl's receive buffer; larger means fewer callbacks per MiB.
    public var receiveBufferBytes: Int = 512 * 1024
    public var userAgent: String = "glacierfs"

    public init() {}
}
