import Foundation
import GlacierModel
import NIOCore
import NIOHTTP1

/// Writes responses to one connection: common headers, the fault chosen for the response, and WAN
/// shaping. Clean, unshaped file bodies go out as `FileRegion`s (sendfile), without copies.
struct ResponseWriter {
    let channel: Channel
    let service: EmulatorService
    let version: HTTPVersion

    enum Outcome { case keepOpen, closed }

    private static let maxRegion: Int64 = 64 << 20

    /// Writes `response`; returns whether the connection is still usable.
    func write(_ response: HTTPResponse, fault: FaultPlan?, shaped: Bool, keepAlive: Bool) async -> Outcome {
        var response = response
        defer { if case .file(let slice) = response.body { try? slice.handle.close() } }
        let closing = response.closeConnection || !keepAlive
        if !response.verbatim { addStandardHeaders(&response, closing: closing) }

        var effect: FaultEffect?
        if let fault, (200 ..< 300).contains(response.status.code) {
            effect = fault.apply(to: &response)
            switch effect {
            case .damage(let flips, let cutAt)?:
                for _ in flips { service.faults.count(.flip) }
                if cutAt != nil { service.faults.count(.reset) }
            case _?: service.faults.count(fault.kind)
            case nil: break
            }
        }
        let shaping = shaped ? service.shaping : .none
        if shaping.firstByteLatencyMs > 0 {
            try? await EmulatorExecutor.sleep(
                until: .now + .milliseconds(shaping.firstByteLatencyMs), on: channel.eventLoop)
        }
        do {
            channel.write(
                HTTPServerResponsePart.head(
                    HTTPResponseHead(
                        version: version, status: response.status,
                        headers: response.headers)),
                promise: nil)
            let length = response.body.length
            let rate = Rates(connection: shaping.connectionRate(), link: shaping.linkBytesPerSecond)
            switch effect {
            case .cut(let at, let reset):
                let sent = try await sendBody(response.body, count: at, flips: [], rate: rate)
                try await channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer()))).get()
                service.statistics.addBytesServed(sent, operation: response.operation)
                await abort(reset: reset)
                return .closed
            case .flip(let positions), .damage(let positions, nil):
                _ = try await sendBody(response.body, count: length, flips: positions, rate: rate)
            case .damage(let positions, let cutAt?):
                let sent = try await sendBody(response.body, count: cutAt, flips: positions, rate: rate)
                try await channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer()))).get()
                service.statistics.addBytesServed(sent, operation: response.operation)
                await abort(reset: true)
                return .closed
            case .headers?, nil:
                _ = try await sendBody(response.body, count: length, flips: [], rate: rate)
            }
            try await channel.writeAndFlush(HTTPServerResponsePart.end(nil)).get()
            service.statistics.addBytesServed(length, operation: response.operation)
        } catch {
            channel.close(promise: nil)
            return .closed
        }
        if closing || response.closeConnection {
            try? await channel.close()
            return .closed
        }
        return .keepOpen
    }

    /// Writes a `100 Continue` interim response.
    func sendContinue() async throws {
        try await channel.writeAndFlush(
            HTTPServerResponsePart.head(
                HTTPResponseHead(
                    version: version,
                    status: .continue))
        ).get()
    }

    private func addStandardHeaders(_ response: inout HTTPResponse, closing: Bool) {
        response.headers.replaceOrAdd(name: GlacierProtocol.Header.requestId, value: Identifiers.requestId())
        response.headers.replaceOrAdd(name: "Date", value: HTTPDate.format(service.httpNow))
        if response.status != .noContent && response.status != .notModified {
            response.headers.replaceOrAdd(name: "Content-Length", value: String(response.body.length))
        }
        if closing { response.headers.replaceOrAdd(name: "Connection", value: "close") }
    }

    /// Closes the connection, with an RST (SO_LINGER 0) when `reset` is set.
    private func abort(reset: Bool) async {
        if reset, let provider = channel as? any SocketOptionProvider {
            _ = try? await provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
        }
        try? await channel.close()
    }

    // MARK: Bodies

    /// The caps on a body: its connection's, and the link's that all connections share.
    struct Rates {
        let connection: Int64?
        let link: Int64?
        var isUnlimited: Bool { connection == nil && link == nil }
    }

    /// Sends the first `count` bytes of `body`; returns how many were sent.
    private func sendBody(
        _ body: ResponseBody, count: Int64, flips: [(offset: Int64, mask: UInt8)],
        rate: Rates
    ) async throws -> Int64 {
        guard count > 0 else { return 0 }
        if flips.isEmpty && rate.isUnlimited {
            switch body {
            case .empty: return 0
            case .buffer(let b):
                let slice = b.getSlice(at: b.readerIndex, length: Int(count))!
                channel.write(HTTPServerResponsePart.body(.byteBuffer(slice)), promise: nil)
            case .file(let f):
                // Regions of at most 64 MiB, so even a slow reader completes writes often enough
                // for the idle timeout to see progress.
                var at: Int64 = 0
                while at < count {
                    let n = min(count - at, Self.maxRegion)
                    let region = FileRegion(
                        fileHandle: f.handle, readerIndex: Int(f.offset + at),
                        endIndex: Int(f.offset + at + n))
                    channel.write(HTTPServerResponsePart.body(.fileRegion(region)), promise: nil)
                    at += n
                }
            }
            return count
        }
        let pacer = rate.connection.map { Pacer(bytesPerSecond: $0) }
        // Chunks of at most 1/20 s of the link, so connections take turns, as a pacer's do.
        let linkChunk = rate.link.map { Int(min(max($0 / 20, 1024), 1 << 20)) } ?? (1 << 20)
        let chunk = min(pacer?.chunkSize ?? (1 << 20), linkChunk)
        var sent: Int64 = 0
        while sent < count {
            let n = min(Int64(chunk), count - sent)
            let chunkFlips = flips.filter { $0.offset >= sent && $0.offset < sent + n }
            let linkDue = rate.link.map { service.link.book(n, bytesPerSecond: $0) }
            try await channel.writeAndFlush(
                HTTPServerResponsePart.body(
                    try await chunkData(body, at: sent, count: n, flips: chunkFlips))
            ).get()
            sent += n
            await pacer?.wait(afterSending: sent, on: channel.eventLoop)
            if let linkDue { try? await EmulatorExecutor.sleep(until: linkDue, on: channel.eventLoop) }
        }
        return sent
    }

    /// Bytes `[at, at+count)` of the body, as a file region when nothing in them is altered.
    private func chunkData(
        _ body: ResponseBody, at: Int64, count: Int64,
        flips: [(offset: Int64, mask: UInt8)]
    ) async throws -> IOData {
        var buffer: ByteBuffer
        switch body {
        case .empty:
            return .byteBuffer(ByteBuffer())
        case .buffer(let b):
            buffer = b.getSlice(at: b.readerIndex + Int(at), length: Int(count))!
        case .file(let f):
            if flips.isEmpty {
                return .fileRegion(
                    FileRegion(
                        fileHandle: f.handle, readerIndex: Int(f.offset + at),
                        endIndex: Int(f.offset + at + count)))
            }
            let handle = f.handle, offset = f.offset + at
            buffer = try await service.store.io.run {
                var out = ByteBuffer()
                try handle.withUnsafeFileDescriptor { fd in
                    try FileOps.readAll(fd: fd, into: &out, count: Int(count), offset: offset, path: "archive data")
                }
                return out
            }
        }
        for flip in flips {
            let index = buffer.readerIndex + Int(flip.offset - at)
            buffer.setInteger(buffer.getInteger(at: index, as: UInt8.self)! ^ flip.mask, at: index)
        }
        return .byteBuffer(buffer)
    }
}
