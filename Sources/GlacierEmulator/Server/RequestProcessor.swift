import GlacierIntegrity
import GlacierModel
import NIOCore
import NIOHTTP1

/// Takes one request from head to response: admin or API, routing, account, signature, API
/// version, response overrides, faults, then the operation itself.
struct RequestProcessor {
    let service: EmulatorService
    let channel: Channel

    /// Bodies of requests that are refused are read and dropped up to this size; larger ones make
    /// the connection close instead.
    private static let drainLimit: Int64 = 16 << 20
    /// The largest body read into memory (JSON bodies, admin bodies).
    private static let bodyLimit = 1 << 20
    private static let adminBodyLimit = 64 << 20

    /// Handles the request whose head was just read; returns whether the connection stays open.
    func process(_ head: HTTPRequestHead, body: RequestBody) async -> Bool {
        let request = HTTPRequest(head: head)
        let writer = ResponseWriter(channel: channel, service: service, version: head.version)
        if request.segments.first == "_emulator" {
            service.statistics.countRequest("Admin")
            let response: HTTPResponse
            do {
                let bytes = try await body.collect(limit: Self.adminBodyLimit)
                response = await AdminAPI(service: service).handle(request, body: bytes)
            } catch {
                response = .error(Self.serviceError(error))
            }
            return await finish(response, request: request, body: body, writer: writer, fault: nil, shaped: false)
        }
        var fault: FaultPlan?
        var response: HTTPResponse
        var operationName: String?
        do {
            let operation = try identify(request)
            operationName = operation.name
            service.statistics.countRequest(operation.name)
            let context = try await prepare(operation, request: request, body: body, writer: writer)
            if let canned = service.overrides.take(operation: operation.name) {
                try await body.drain()
                return await finish(
                    Self.verbatim(canned), request: request, body: body, writer: writer, fault: nil,
                    shaped: true)
            }
            fault = service.faults.draw(operation: operation.name)
            if let replaced = fault, replaced.kind.replacesResponse {
                service.faults.count(replaced.kind)
                response = .error(Self.injectedError(replaced.kind))
            } else {
                response = try await OperationDispatcher.run(operation, context: context)
            }
        } catch {
            response = .error(Self.serviceError(error))
            fault = nil
        }
        response.operation = operationName
        return await finish(response, request: request, body: body, writer: writer, fault: fault, shaped: true)
    }

    /// Routes the request and checks the account id in its path.
    private func identify(_ request: HTTPRequest) throws(ServiceError) -> GlacierOperation {
        guard request.segments.count >= 2,
            let operation = Router.route(method: request.method, segments: Array(request.segments.dropFirst()))
        else {
            service.statistics.countRequest("Unknown")
            throw .notFound("No operation matches \(request.method.rawValue) \(request.rawPath).")
        }
        let account = request.segments[0]
        guard account == "-" || account == service.accountId else {
            throw .accessDenied(
                "Access denied: the account id in the path ('\(account)') must be '-' or "
                    + "'\(service.accountId)'.")
        }
        return operation
    }

    /// Reads the body of non-streamed operations, checks the signature and the API version.
    private func prepare(
        _ operation: GlacierOperation, request: HTTPRequest, body: RequestBody,
        writer: ResponseWriter
    ) async throws -> OperationContext {
        var authPending = false
        var bytes = ByteBuffer()
        if let authenticator = service.authenticator {
            try authenticator.requireAuthorization(request)
            if operation.streamsBody {
                if let declared = request.header(GlacierProtocol.Header.contentSHA256) {
                    guard SHA256Digest(hex: declared) != nil else {
                        throw ServiceError.invalidParameter("x-amz-content-sha256 must be 64 hexadecimal characters.")
                    }
                    try authenticator.verify(request, payloadHash: declared.lowercased())
                } else {
                    authPending = true
                }
            } else {
                bytes = try await readWhole(request, body: body, writer: writer)
                let hash = bytes.withUnsafeReadableBytes { SHA256.hash($0) }
                if let declared = request.header(GlacierProtocol.Header.contentSHA256),
                    SHA256Digest(hex: declared) != hash
                {
                    throw ServiceError.invalidParameter(
                        "The value passed in x-amz-content-sha256 does not match "
                            + "the SHA-256 of the request body.")
                }
                try authenticator.verify(request, payloadHash: hash.hex)
            }
        } else if !operation.streamsBody {
            bytes = try await readWhole(request, body: body, writer: writer)
        }
        guard let version = request.header(GlacierProtocol.Header.apiVersion) else {
            let header = GlacierProtocol.Header.apiVersion
            throw ServiceError.missingParameter(
                "Required header \(header) is missing; "
                    + "send '\(header): \(GlacierProtocol.apiVersion)'.")
        }
        guard version == GlacierProtocol.apiVersion else {
            throw ServiceError.invalidParameter(
                "Unsupported \(GlacierProtocol.Header.apiVersion) '\(version)'; "
                    + "this service speaks \(GlacierProtocol.apiVersion).")
        }
        return OperationContext(
            service: service, request: request, body: bytes, stream: body, writer: writer,
            authPending: authPending)
    }

    private func readWhole(
        _ request: HTTPRequest, body: RequestBody, writer: ResponseWriter
    ) async throws
        -> ByteBuffer
    {
        if request.expectsContinue && request.mayHaveBody {
            body.continueSent = true
            try await writer.sendContinue()
        }
        return try await body.collect(limit: Self.bodyLimit)
    }

    /// Writes the response. A body left unread is drained when small, otherwise the connection
    /// closes (as it must when the client still waits for `100 Continue`).
    private func finish(
        _ response: HTTPResponse, request: HTTPRequest, body: RequestBody, writer: ResponseWriter,
        fault: FaultPlan?, shaped: Bool
    ) async -> Bool {
        if body.broken {
            channel.close(promise: nil)  // nothing can be answered on this connection any more
            return false
        }
        var response = response
        if body.readFailed { response.closeConnection = true }
        if !body.finished {
            let waiting = request.expectsContinue && !body.continueSent
            let declared = request.contentLength ?? (request.mayHaveBody ? Int64.max : 0)
            if waiting || declared > Self.drainLimit {
                response.closeConnection = true
            } else if (try? await body.drain()) == nil {
                response.closeConnection = true
            }
        }
        let outcome = await writer.write(response, fault: fault, shaped: shaped, keepAlive: request.head.isKeepAlive)
        service.logger.debug("\(request.method.rawValue) \(request.rawPath) -> \(response.status.code)")
        return outcome == .keepOpen
    }

    static func serviceError(_ error: any Error) -> ServiceError {
        if let e = error as? ServiceError { return e }
        if error is RequestBodyTimeout {
            return ServiceError(
                .requestTimeout, GlacierErrorCode.requestTimeout,
                "The request body stalled: no data arrived within the idle timeout.")
        }
        return .internalFailure("The emulator failed to handle the request: \(error)")
    }

    private static func injectedError(_ kind: FaultKind) -> ServiceError {
        switch kind {
        case .throttle:
            ServiceError(.badRequest, GlacierErrorCode.throttling, "Rate exceeded (injected fault).")
        case .insufficientCapacity:
            ServiceError(
                .badRequest, GlacierErrorCode.insufficientCapacity,
                "There is not enough capacity to process this job request (injected fault).")
        case .policyEnforced:
            ServiceError(
                .badRequest, GlacierErrorCode.policyEnforced,
                "Retrieval exceeds the vault's data retrieval policy (injected fault).")
        default:
            ServiceError(
                .serviceUnavailable, GlacierErrorCode.serviceUnavailable,
                "Service is unavailable. Please retry (injected fault).")
        }
    }

    private static func verbatim(_ canned: ResponseOverride) -> HTTPResponse {
        var headers = HTTPHeaders()
        for (name, value) in canned.headers.sorted(by: { $0.key < $1.key }) { headers.add(name: name, value: value) }
        let bytes = Array(canned.body.utf8)
        if !headers.contains(name: "Content-Length") {
            headers.add(name: "Content-Length", value: String(bytes.count))
        }
        var response = HTTPResponse(
            status: HTTPResponseStatus(statusCode: canned.status), headers: headers,
            body: .buffer(ByteBuffer(bytes: bytes)))
        response.verbatim = true
        // A declared length that disagrees with the body leaves the framing broken: close after it.
        if headers.first(name: "Content-Length") != String(bytes.count) { response.closeConnection = true }
        return response
    }
}
