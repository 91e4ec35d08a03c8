import NIOCore
import NIOHTTP1

/// The request parts of one connection, read one request at a time: a head, then its body chunks
/// until `.end`. Owned by the connection's task.
final class RequestBody {
    private var iterator: NIOAsyncChannelInboundStream<HTTPServerRequestPart>.AsyncIterator
    /// Whether the current request's `.end` has been read (or reading it failed).
    private(set) var finished = true
    /// Whether the connection can no longer carry a response: it ended mid-request or its HTTP
    /// decoding failed (NIO's protocol error handler then answers by itself).
    private(set) var broken = false
    /// Whether reading the body failed (a stall, or a broken connection); the stream is done then.
    private(set) var readFailed = false
    /// Whether `100 Continue` went out for the current request.
    var continueSent = false

    init(iterator: NIOAsyncChannelInboundStream<HTTPServerRequestPart>.AsyncIterator) {
        self.iterator = iterator
    }

    /// The next request's head, or nil when the connection has ended.
    func nextHead() async throws -> HTTPRequestHead? {
        while let part = try await iterator.next() {
            if case .head(let head) = part {
                finished = false
                continueSent = false
                return head
            }
        }
        return nil
    }

    /// The next chunk, or nil at the end of the body. Throws `RequestBodyTimeout` when the body
    /// stalled; any other failure marks the connection broken.
    func next() async throws -> ByteBuffer? {
        while !finished {
            let part: HTTPServerRequestPart?
            do {
                part = try await iterator.next()
            } catch {
                finished = true
                readFailed = true
                if !(error is RequestBodyTimeout) { broken = true }
                throw error
            }
            switch part {
            case .body(let buffer)?: return buffer
            case .end?: finished = true
            case nil:
                finished = true
                broken = true
            case .head?: continue  // cannot happen inside a body: HTTP decoding keeps the order
            }
        }
        return nil
    }

    /// Reads the whole body into memory; throws when it exceeds `limit` bytes.
    func collect(limit: Int) async throws -> ByteBuffer {
        var all = ByteBuffer()
        while var chunk = try await next() {
            guard all.readableBytes + chunk.readableBytes <= limit else {
                throw ServiceError.invalidParameter("The request body is larger than \(limit) bytes.")
            }
            all.writeBuffer(&chunk)
        }
        return all
    }

    /// Reads and drops the rest of the body.
    func drain() async throws {
        while try await next() != nil {}
    }
}
