/// Header fields in wire order; lookups ignore case.
public struct HTTPHeaders: Sendable, Sequence {
    public private(set) var fields: [(name: String, value: String)]

    public init(_ fields: [(name: String, value: String)] = []) { self.fields = fields }

    public subscript(_ name: String) -> String? {
        let lower = name.lowercased()
        return fields.first { $0.name.lowercased() == lower }?.value
    }

    public mutating func add(_ name: String, _ value: String) { fields.append((name, value)) }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }
}

/// What a request sends as its body.
public enum RequestBody: Sendable {
    case none
    case bytes([UInt8])
    /// A region of a file, read as the upload proceeds so large bodies never sit in memory.
    case fileRegion(path: String, offset: Int64, length: Int64)

    var length: Int64 {
        switch self {
        case .none: 0
        case .bytes(let b): Int64(b.count)
        case .fileRegion(_, _, let length): length
        }
    }
}

public struct HTTPRequest: Sendable {
    public var method: String
    /// An absolute `http://` or `https://` URL, already percent-encoded.
    public var url: String
    public var headers: HTTPHeaders
    public var body: RequestBody
    /// A deadline for the whole exchange, on top of the client's connect and low-speed limits.
    public var timeoutSeconds: Double?

    public init(
        method: String, url: String, headers: HTTPHeaders = HTTPHeaders(), body: RequestBody = .none,
        timeoutSeconds: Double? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeoutSeconds = timeoutSeconds
    }
}

/// Where a response body goes.
public enum ResponseDestination {
    /// Collected into an array the response owns, refusing bodies over `limit` bytes.
    case collect(limit: Int)
    /// Written straight into memory the caller owns. The caller keeps it alive until `send`
    /// returns; a body longer than the buffer fails with `.bodyTooLarge`.
    case buffer(UnsafeMutableRawBufferPointer)
    /// Written into several caller-owned buffers in turn, filling each before the next (e.g. one
    /// buffer per 1 MiB leaf). A body longer than their total fails with `.bodyTooLarge`.
    case scatter([UnsafeMutableRawBufferPointer])
    /// Handed piece by piece to a receiver that lends one buffer at a time and takes each away
    /// as it fills: for bodies too large to hold in memory whole.
    case stream(any BodyStream)
}

/// A response body taken into buffers its receiver lends one at a time. Called on the transport's
/// thread, which carries every transfer, so each call must return at once. A piece of the body
/// is at most `receiveBufferBytes` and all of it is placed before any is taken (a pause hands the
/// same piece again), so a receiver must be able to lend enough buffers at once to hold one
/// piece across a boundary: two, for buffers at least that large.
public protocol BodyStream: AnyObject, Sendable {
    /// Where the body's next bytes go.
    func nextBuffer() -> BodyStreamBuffer
    /// The oldest buffer lent and not yet reported full is full.
    func bufferFilled()
    /// Called once before the transfer starts, with what resumes it after `nextBuffer` answered
    /// `.later`. The closure may be called from any thread, and more often than needed.
    func attach(resume: @escaping @Sendable () -> Void)
}

/// A `BodyStream`'s answer for the body's next bytes.
public enum BodyStreamBuffer {
    /// Fill this next; it stays the receiver's memory, alive until the exchange ends.
    case buffer(UnsafeMutableRawBufferPointer)
    /// None is free yet: the transfer pauses until the stream calls its resume closure.
    case later
    /// The body is longer than the receiver expects: the transfer fails with `.bodyTooLarge`.
    case end
}

public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    /// The collected body (empty unless the destination was `.collect`).
    public var body: [UInt8]
    /// How many body bytes arrived, whatever the destination.
    public var bodyLength: Int
    /// Seconds from the request's start on an open connection (after any connecting and TLS) to
    /// the first byte of the response, and to its end: what a caller needs to tell the link's
    /// latency from its rate. Nil when not measured.
    public var firstByteSeconds: Double? = nil
    public var totalSeconds: Double? = nil
}

/// Why an exchange did not complete. None of these carry request headers, so no secret can leak.
public enum TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidURL(String)
    case couldNotResolveHost(String)
    case couldNotConnect(String)
    case timedOut(String)
    /// The connection broke or closed before the whole response arrived.
    case connectionLost(String)
    case tls(String)
    case bodyTooLarge(limit: Int)
    case requestBodyUnreadable(String)
    case cancelled
    case other(code: Int, message: String)

    /// Whether trying again later could succeed.
    public var isTransient: Bool {
        switch self {
        case .timedOut, .connectionLost, .couldNotConnect, .couldNotResolveHost: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .invalidURL(let m): "invalid URL: \(m)"
        case .couldNotResolveHost(let m): "could not resolve host: \(m)"
        case .couldNotConnect(let m): "could not connect: \(m)"
        case .timedOut(let m): "timed out: \(m)"
        case .connectionLost(let m): "connection lost: \(m)"
        case .tls(let m): "TLS failure: \(m)"
        case .bodyTooLarge(let limit): "response body larger than the \(limit) bytes expected"
        case .requestBodyUnreadable(let m): "could not read the request body: \(m)"
        case .cancelled: "cancelled"
        case .other(let code, let m): "HTTP transport error \(code): \(m)"
        }
    }
}
