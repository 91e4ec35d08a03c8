/// An HTTP/1.1 client on libcurl: parallel transfers over reused connections, connect and
/// low-speed timeouts, TLS verification on by default, and the standard proxy variables
/// (`http_proxy`, `https_proxy`, `no_proxy`), which libcurl reads itself.
public final class HTTPClient: Sendable {
    private let engine: CurlMultiEngine

    public init(configuration: HTTPClientConfiguration = HTTPClientConfiguration()) {
        engine = CurlMultiEngine(configuration: configuration)
    }

    deinit { engine.shutdown() }

    /// Sends a request and waits for the whole response. Cancelling the calling task aborts the
    /// transfer; by the time this returns or throws, nothing writes into `destination` any more.
    /// Throws `TransportError`, or `PartialResponse` when a successful answer broke part-way.
    public func send(
        _ request: HTTPRequest, into destination: ResponseDestination = .collect(limit: 16 << 20)
    )
        async throws -> HTTPResponse
    {
        let sink: TransferSink =
            switch destination {
            case .collect(let limit): .collect(limit: limit)
            case .buffer(let b): .scatter([SendableBuffer(base: b.baseAddress, count: b.count)])
            case .scatter(let list): .scatter(list.map { SendableBuffer(base: $0.baseAddress, count: $0.count) })
            case .stream(let stream): .stream(stream)
            }
        let id = engine.makeId()
        if case .stream(let stream) = sink { stream.attach(resume: { [engine] in engine.resume(id) }) }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                engine.submit(TransferSubmission(id: id, request: request, sink: sink, continuation: continuation))
            }
        } onCancel: {
            engine.cancel(id)
        }
    }

    /// New connections opened since the client was created (the rest were reused).
    public var connectionsOpened: Int { engine.connectionsOpened.load(ordering: .relaxed) }

    public func shutdown() { engine.shutdown() }
}
