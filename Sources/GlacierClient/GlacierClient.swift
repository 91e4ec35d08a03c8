import AWSCredentials
import AWSSigning
import Foundation
import GlacierModel
import HTTPTransport
import Logging
import Synchronization

/// A client for the Glacier vault API (2012-06-01): every request signed with SigV4, AWS errors
/// turned into typed errors, transient failures retried with backoff, and job output verified
/// against the tree hash before it is returned.
public final class GlacierClient: Sendable {
    public let configuration: GlacierClientConfiguration
    private let signer: RequestSigner
    let http: HTTPClient
    let credentialSource: any CredentialSource
    let logger: Logger
    /// Seconds to add to the local clock when signing, learned from the service after a
    /// clock-skew refusal.
    let clockCorrection = Mutex<TimeInterval>(0)
    let stats = ClientStatistics()

    public init(
        configuration: GlacierClientConfiguration, credentials: any CredentialSource,
        http: HTTPClient? = nil, logger: Logger = Logger(label: "glacierfs.client")
    ) {
        self.configuration = configuration
        signer = RequestSigner(configuration: configuration)
        self.http = http ?? HTTPClient(configuration: configuration.http)
        self.credentialSource = credentials
        self.logger = logger
    }

    /// Counters for status displays.
    public var statistics: ClientStatistics { stats }

    /// Where this client's credentials come from (for tools that must sign requests of their
    /// own, such as the benchmark's plain-curl baseline).
    public var credentials: any CredentialSource { credentialSource }

    // MARK: - Sending

    /// Sends one request with retries, returning the first acceptable response. `accept` turns
    /// a 2xx response into a result or throws (e.g. an integrity failure, which is retried).
    func execute<T: Sendable>(
        _ request: GlacierRequest, into destination: ResponseDestination = .collect(limit: 64 << 20),
        timeout: Double? = nil, retry: RetryPolicy? = nil,
        accept: (HTTPResponse) throws(GlacierError) -> T
    ) async throws(GlacierError) -> T {
        let policy = retry ?? configuration.retry
        var attempt = 0
        var refreshedCredentials = false
        var correctedClock = false
        while true {
            attempt += 1
            do {
                let response = try await sendOnce(request, into: destination, timeout: timeout)
                return try accept(response)
            } catch {
                if case .service(let details) = error {
                    if GlacierErrorCodes.isClockSkew(details), !correctedClock, learnClockCorrection() {
                        correctedClock = true
                        attempt -= 1
                        continue
                    }
                    if GlacierErrorCodes.authenticationCodes.contains(details.code), !refreshedCredentials {
                        // Keys may have rotated under us: look them up again once.
                        refreshedCredentials = true
                        credentialSource.invalidate()
                        logger.notice(
                            "service refused the credentials; resolving them again",
                            metadata: ["operation": "\(request.operation)", "code": "\(details.code)"])
                        continue
                    }
                }
                if case .transport(.cancelled) = error { throw error }
                guard error.isRetryable, attempt < policy.maxAttempts, !Task.isCancelled else {
                    if attempt > 1 { stats.recordGaveUp() }
                    throw error
                }
                stats.recordRetry()
                let throttled = error.serviceCode.map(GlacierErrorCodes.isThrottling) ?? false
                let pause = policy.delay(afterAttempt: attempt, throttled: throttled)
                logger.debug(
                    "retrying after a transient failure",
                    metadata: [
                        "operation": "\(request.operation)", "attempt": "\(attempt)", "error": "\(error)",
                        "pause_ms": "\(Int(pause * 1000))",
                    ])
                do { try await Task.sleep(nanoseconds: UInt64(pause * 1e9)) } catch { throw .transport(.cancelled) }
            }
        }
    }

    /// After a clock-skew refusal, signs with the service's time (from that response's Date
    /// header) when the two differ by more than a minute.
    private func learnClockCorrection() -> Bool {
        guard let serviceDate = lastServiceDate.withLock({ $0 }) else { return false }
        let offset = serviceDate.timeIntervalSince(Date())
        guard abs(offset) > 60 else { return false }
        clockCorrection.withLock { $0 = offset }
        logger.warning(
            "this machine's clock is \(Int(offset)) s off the service's; signing with the service's time. Fix the clock (NTP)."
        )
        return true
    }

    let lastServiceDate = Mutex<Date?>(nil)
    /// The service's `Date` minus the local clock, from the latest response that had one.
    let serviceOffset = Mutex<TimeInterval?>(nil)

    /// The service's clock as its latest `Date` header showed it (1 s resolution), or the local
    /// clock before any answer. Schedules that count the service's days (retrieval budgets) use it.
    public var serviceNow: Date { Date().addingTimeInterval(serviceOffset.withLock { $0 } ?? 0) }

    private func sendOnce(
        _ request: GlacierRequest, into destination: ResponseDestination,
        timeout: Double?
    ) async throws(GlacierError) -> HTTPResponse {
        let credentials: AWSCredentialSet
        do {
            credentials = try await credentialSource.credentials()
        } catch let error as CredentialError {
            throw .credentials(error)
        } catch {
            throw .credentials(.notFound(tried: ["\(error)"]))
        }
        let now = Date().addingTimeInterval(clockCorrection.withLock { $0 })
        var http = signer.signedRequest(request, credentials: credentials, date: now)
        http.timeoutSeconds = timeout
        let started = ContinuousClock.now
        let response: HTTPResponse
        do {
            response = try await self.http.send(http, into: destination)
        } catch let partial as PartialResponse {
            logger.debug(
                "request broke part-way",
                metadata: [
                    "operation": "\(request.operation)",
                    "bytes": "\(partial.bodyBytesReceived)", "error": "\(partial.cause)",
                ])
            throw .interrupted(
                partial.cause, receivedBytes: partial.bodyBytesReceived,
                announcedTreeHash: partial.headers[GlacierProtocol.Header.treeHash])
        } catch let error as TransportError {
            logger.debug("request failed", metadata: ["operation": "\(request.operation)", "error": "\(error)"])
            // A body too long for its buffer is a wrong answer, not a broken link: retried like
            // any other failed check.
            if case .bodyTooLarge(let limit) = error { throw .integrity(.bodyTooLong(limit: limit)) }
            throw .transport(error)
        } catch {
            throw .transport(.cancelled)
        }
        let elapsed = ContinuousClock.now - started
        stats.recordResponse(bytes: response.bodyLength)
        // A download's wait is measured by its reader, under whatever load it puts on the link.
        if request.operation != "GetJobOutput", let wait = response.firstByteSeconds, wait > 0 {
            stats.recordAnswer(firstByteSeconds: wait)
        }
        if let date = response.headers["Date"].flatMap(HTTPDate.parse) {
            // The header has whole seconds: half a second is its expected truncation.
            serviceOffset.withLock { $0 = date.timeIntervalSinceNow + 0.5 }
        }
        logger.debug(
            "request",
            metadata: [
                "operation": "\(request.operation)", "method": "\(request.method)",
                "path": "\(request.pathSegments.joined(separator: "/"))", "status": "\(response.status)",
                "bytes": "\(response.bodyLength)",
                "ms": "\(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)",
                "request_id": "\(response.headers[GlacierProtocol.Header.requestId] ?? "-")",
            ])
        guard (200 ..< 300).contains(response.status) else {
            let error = Self.serviceError(from: response)
            if case .service(let d) = error, GlacierErrorCodes.isClockSkew(d) {
                lastServiceDate.withLock { $0 = response.headers["Date"].flatMap(HTTPDate.parse) }
            }
            throw error
        }
        return response
    }

    /// Turns a non-2xx response into a typed error, whatever its body looks like.
    static func serviceError(from response: HTTPResponse) -> GlacierError {
        let requestId = response.headers[GlacierProtocol.Header.requestId] ?? response.headers["x-amz-request-id"]
        if let body = try? JSONDecoder().decode(GlacierErrorBody.self, from: Data(response.body)) {
            return .service(
                ServiceErrorDetails(
                    code: body.code, message: body.message ?? "", httpStatus: response.status,
                    requestId: requestId))
        }
        // Line breaks go at the byte level: as Characters, "\n" plus a combining mark is not "\n".
        let snippet = String(
            decoding: response.body.prefix(200).map { $0 == 0x0a || $0 == 0x0d ? 0x20 : $0 }, as: UTF8.self)
        let code = response.status >= 500 ? GlacierErrorCode.serviceUnavailable : "HTTP\(response.status)"
        return .service(
            ServiceErrorDetails(
                code: code, message: snippet.isEmpty ? "HTTP \(response.status)" : snippet,
                httpStatus: response.status, requestId: requestId))
    }

    /// Decodes a JSON body, reporting which operation sent something unexpected.
    func decode<T: Decodable>(_ type: T.Type, from response: HTTPResponse, operation: String) throws(GlacierError) -> T
    {
        do {
            return try JSONDecoder().decode(T.self, from: Data(response.body))
        } catch {
            throw .malformedResponse(
                "\(operation) returned a body that is not the expected JSON (\(Self.describe(error)))")
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .keyNotFound(_, let c), .dataCorrupted(let c):
            let path = c.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? c.debugDescription : "\(path): \(c.debugDescription)"
        default:
            return "\(error)"
        }
    }
}
