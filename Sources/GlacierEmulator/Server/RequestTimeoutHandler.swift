import NIOCore
import NIOHTTP1

/// The error a request body read throws when the body stalls for the idle timeout. The request's
/// task answers it with 408 RequestTimeoutException, as Glacier does.
struct RequestBodyTimeout: Error {}

/// Acts on `IdleStateHandler`'s all-idle event (nothing read or written for the idle timeout).
///
/// It never writes itself, so the request's task stays the only writer of responses: a stalled
/// request body is reported to that task as `RequestBodyTimeout`; a request being processed is
/// left alone; an idle keep-alive connection, or one whose client stopped reading, is closed.
final class RequestTimeoutHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// Between the request's head and its `.end`.
    private var requestOpen = false
    /// Between the request's head and the response's `.end`.
    private var awaitingResponse = false
    /// Between the response's (final) head and its `.end`.
    private var responseOpen = false
    private var reported = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            requestOpen = true
            awaitingResponse = true
            reported = false
        case .end:
            requestOpen = false
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status.code >= 200:
            responseOpen = true
        case .end:
            responseOpen = false
            awaitingResponse = false
        default:
            break
        }
        context.write(data, promise: promise)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is IdleStateHandler.IdleStateEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        if requestOpen && awaitingResponse && !responseOpen {
            if !reported {
                reported = true
                context.fireErrorCaught(RequestBodyTimeout())
            }
        } else if !(awaitingResponse && !responseOpen) {
            context.close(promise: nil)  // idle between requests, or the client stopped reading
        }
    }
}
