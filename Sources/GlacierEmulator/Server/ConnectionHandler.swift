import NIOCore
import NIOHTTP1

/// Serves the requests of one connection, one after another, until it closes.
struct ConnectionHandler {
    let service: EmulatorService

    func run(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async {
        let channel = connection.channel
        do {
            try await connection.executeThenClose { inbound, _ in
                let body = RequestBody(iterator: inbound.makeAsyncIterator())
                let processor = RequestProcessor(service: service, channel: channel)
                while let head = try await body.nextHead() {
                    guard await processor.process(head, body: body) else { return }
                    if !body.finished { try await body.drain() }
                }
            }
        } catch {
            service.logger.debug("connection ended", metadata: ["error": "\(error)"])
        }
    }
}
