/// A transfer that broke after part of a successful response's body had arrived: the cause,
/// with the response's headers and how many body bytes reached the caller's buffers, so that a
/// caller can keep what arrived whole and ask only for the rest.
public struct PartialResponse: Error, Sendable {
    public let cause: TransportError
    public let status: Int
    public let headers: HTTPHeaders
    public let bodyBytesReceived: Int
}
