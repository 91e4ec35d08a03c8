/// The parts of an HTTP request that SigV4 covers, as they go on the wire.
public struct SignableRequest: Sendable {
    public var method: String
    /// The path as sent, percent-encoded where needed, without the query.
    public var path: String
    /// The raw query string as sent, without the leading `?`.
    public var query: String
    /// Header names and values in the order they are sent. Names are matched case-insensitively.
    public var headers: [(name: String, value: String)]
    /// Lower-case hex SHA-256 of the body.
    public var payloadHash: String

    public init(
        method: String, path: String, query: String = "", headers: [(name: String, value: String)],
        payloadHash: String
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.payloadHash = payloadHash
    }

    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }

    public mutating func setHeader(_ name: String, _ value: String) {
        let lower = name.lowercased()
        headers.removeAll { $0.name.lowercased() == lower }
        headers.append((name, value))
    }

    /// SHA-256 of an empty body, the payload hash of every GET.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
}
