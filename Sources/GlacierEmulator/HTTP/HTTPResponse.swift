import Foundation
import GlacierModel
import NIOCore
import NIOHTTP1

/// A response ready to be written: status, headers and a body that is either bytes in memory or a
/// slice of an open file (sent with sendfile).
struct HTTPResponse: Sendable {
    var status: HTTPResponseStatus
    var headers: HTTPHeaders
    var body: ResponseBody
    /// Close the connection after this response (the request body was not consumed, or the
    /// response's framing is unreliable).
    var closeConnection = false
    /// Sent exactly as given: no Content-Length, Date or request id added (response overrides).
    var verbatim = false
    /// The API operation this answers, so its body bytes are counted per operation.
    var operation: String?

    init(status: HTTPResponseStatus, headers: HTTPHeaders = [:], body: ResponseBody = .empty) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    static func json(_ value: some Encodable, status: HTTPResponseStatus = .ok) -> HTTPResponse {
        do {
            let data = try WireJSON.encode(value)
            return json(bytes: data, status: status)
        } catch {
            return self.error(.internalFailure("The response could not be encoded: \(error)"))
        }
    }

    static func json(bytes: some Collection<UInt8>, status: HTTPResponseStatus = .ok) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        return HTTPResponse(status: status, headers: headers, body: .buffer(ByteBuffer(bytes: bytes)))
    }

    static func error(_ error: ServiceError) -> HTTPResponse {
        json(error.body, status: error.status)
    }
}

enum ResponseBody: Sendable {
    case empty
    case buffer(ByteBuffer)
    /// `length` bytes from `offset` of an open file; the writer closes the handle when done.
    case file(FileSlice)

    var length: Int64 {
        switch self {
        case .empty: 0
        case .buffer(let b): Int64(b.readableBytes)
        case .file(let f): f.length
        }
    }
}

/// A slice of an open file, owned by the response that carries it.
struct FileSlice: Sendable {
    let handle: NIOFileHandle
    let offset: Int64
    let length: Int64
}
