import CCurl
import Foundation
import Synchronization

/// Requests waiting for the engine thread, and requests to cancel.
struct EngineInbox: ~Copyable {
    var pending: [TransferSubmission] = []
    var cancellations: Set<UInt64> = []
    /// Paused transfers whose stream has room again.
    var resumptions: Set<UInt64> = []
    var stopping = false
}

/// The libcurl multi handle. Only the engine thread uses it, except `curl_multi_wakeup`, which
/// libcurl documents as callable from any thread.
struct MultiHandle: @unchecked Sendable {  // C handle; confined to the engine thread as described.
    let raw: UnsafeMutableRawPointer
}

/// Drives every transfer of one client on a single thread with libcurl's multi interface, which
/// gives parallel transfers and a shared pool of reusable connections.
final class CurlMultiEngine: Sendable {
    private let inbox = Mutex(EngineInbox())
    private let multi: MultiHandle
    private let configuration: HTTPClientConfiguration
    private let nextId = Atomic<UInt64>(1)
    let connectionsOpened = Atomic<Int>(0)

    init(configuration: HTTPClientConfiguration) {
        CurlGlobal.ensureInitialized()
        guard let m = curl_multi_init() else { fatalError("libcurl could not create a multi handle") }
        multi = MultiHandle(raw: m)
        self.configuration = configuration
        _ = glfs_multi_setopt_long(m, CURLMOPT_MAX_HOST_CONNECTIONS, configuration.maxConnectionsPerHost)
        _ = glfs_multi_setopt_long(m, CURLMOPT_MAXCONNECTS, configuration.maxConnectionsPerHost * 2)
        let thread = Thread { [self] in self.run() }
        thread.name = "glacierfs-http"
        thread.start()
    }

    func makeId() -> UInt64 { nextId.wrappingAdd(1, ordering: .relaxed).oldValue }

    func submit(_ submission: TransferSubmission) {
        let accepted = inbox.withLock { inbox -> Bool in
            guard !inbox.stopping else { return false }
            inbox.pending.append(submission)
            return true
        }
        if accepted {
            curl_multi_wakeup(multi.raw)
        } else {
            submission.continuation.resume(throwing: TransportError.cancelled)
        }
    }

    func cancel(_ id: UInt64) {
        inbox.withLock { _ = $0.cancellations.insert(id) }
        curl_multi_wakeup(multi.raw)
    }

    /// Lets a transfer paused by its stream go on (nothing if it is not paused).
    func resume(_ id: UInt64) {
        inbox.withLock { _ = $0.resumptions.insert(id) }
        curl_multi_wakeup(multi.raw)
    }

    /// Fails every transfer still running and stops the thread.
    func shutdown() {
        inbox.withLock { $0.stopping = true }
        curl_multi_wakeup(multi.raw)
    }

    // MARK: - The engine thread

    private func run() {
        var active: [UInt64: CurlTransfer] = [:]
        var idleHandles: [UnsafeMutableRawPointer] = []

        func finish(_ transfer: CurlTransfer, _ result: CURLcode?) {
            curl_multi_remove_handle(multi.raw, transfer.easy)
            active[transfer.id] = nil
            var newConnections = 0
            _ = glfs_easy_getinfo_long(transfer.easy, CURLINFO_NUM_CONNECTS, &newConnections)
            connectionsOpened.add(newConnections, ordering: .relaxed)
            if let result {
                if let error = Self.transportError(result, transfer) {
                    let partial =
                        error.isTransient && (200 ..< 300).contains(transfer.status) && transfer.received > 0
                        && !transfer.divertedToErrorBody
                    transfer.continuation.resume(
                        throwing: partial
                            ? PartialResponse(
                                cause: error, status: transfer.status, headers: transfer.headers,
                                bodyBytesReceived: transfer.received)
                            : error)
                } else {
                    var sent: curl_off_t = 0
                    var firstByte: curl_off_t = 0
                    var total: curl_off_t = 0
                    // Timed from the request's start on an open connection: a new connection's
                    // handshakes (TCP, TLS) are no part of what each request costs.
                    _ = glfs_easy_getinfo_off(transfer.easy, CURLINFO_PRETRANSFER_TIME_T, &sent)
                    _ = glfs_easy_getinfo_off(transfer.easy, CURLINFO_STARTTRANSFER_TIME_T, &firstByte)
                    _ = glfs_easy_getinfo_off(transfer.easy, CURLINFO_TOTAL_TIME_T, &total)
                    transfer.continuation.resume(
                        returning: HTTPResponse(
                            status: transfer.status, headers: transfer.headers, body: transfer.collected,
                            bodyLength: transfer.received, firstByteSeconds: Double(firstByte - sent) / 1e6,
                            totalSeconds: Double(total - sent) / 1e6))
                }
            } else {
                transfer.continuation.resume(throwing: TransportError.cancelled)
            }
            curl_easy_reset(transfer.easy)
            idleHandles.append(transfer.easy)
        }

        while true {
            let (pending, cancellations, resumptions, stopping) = inbox.withLock { inbox in
                defer {
                    inbox.pending = []
                    inbox.cancellations = []
                    inbox.resumptions = []
                }
                return (inbox.pending, inbox.cancellations, inbox.resumptions, inbox.stopping)
            }
            if stopping {
                for submission in pending { submission.continuation.resume(throwing: TransportError.cancelled) }
                for transfer in Array(active.values) { finish(transfer, nil) }
                break
            }
            for submission in pending {
                if cancellations.contains(submission.id) {
                    submission.continuation.resume(throwing: TransportError.cancelled)
                    continue
                }
                guard let easy = idleHandles.popLast() ?? curl_easy_init() else {
                    submission.continuation.resume(
                        throwing: TransportError.other(code: -1, message: "curl_easy_init failed"))
                    continue
                }
                let transfer = CurlTransfer(submission: submission, easy: easy)
                if let problem = configure(transfer, submission.request) {
                    curl_easy_reset(easy)
                    idleHandles.append(easy)
                    submission.continuation.resume(throwing: problem)
                    continue
                }
                active[transfer.id] = transfer
                curl_multi_add_handle(multi.raw, easy)
            }
            for id in cancellations {
                if let transfer = active[id] { finish(transfer, nil) }
            }
            for id in resumptions {
                guard let transfer = active[id], transfer.paused else { continue }
                // Cleared first: the unpause hands the held bytes to the callback at once, which
                // may pause again.
                transfer.paused = false
                _ = glfs_easy_unpause(transfer.easy)
            }

            var running: Int32 = 0
            curl_multi_perform(multi.raw, &running)
            var queued: Int32 = 0
            while let message = curl_multi_info_read(multi.raw, &queued) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
                var privatePointer: UnsafeMutableRawPointer?
                _ = glfs_easy_getinfo_ptr(easy, CURLINFO_PRIVATE, &privatePointer)
                guard let privatePointer else { continue }
                let transfer = Unmanaged<CurlTransfer>.fromOpaque(privatePointer).takeUnretainedValue()
                finish(transfer, message.pointee.data.result)
            }
            curl_multi_poll(multi.raw, nil, 0, 1000, nil)
        }
        for easy in idleHandles { curl_easy_cleanup(easy) }
        curl_multi_cleanup(multi.raw)
    }

    /// Sets every option for one transfer. Returns an error instead of starting it if the request
    /// cannot be sent.
    private func configure(_ t: CurlTransfer, _ request: HTTPRequest) -> TransportError? {
        let h = t.easy
        guard request.url.hasPrefix("http://") || request.url.hasPrefix("https://") else {
            return .invalidURL("only http:// and https:// endpoints are supported")
        }
        let opaque = Unmanaged.passUnretained(t).toOpaque()
        _ = glfs_easy_setopt_string(h, CURLOPT_URL, request.url)
        _ = glfs_easy_setopt_ptr(h, CURLOPT_PRIVATE, opaque)
        _ = glfs_easy_setopt_long(h, CURLOPT_NOSIGNAL, 1)
        _ = glfs_easy_setopt_long(h, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_1_1))
        _ = glfs_easy_setopt_ptr(h, CURLOPT_ERRORBUFFER, t.errorBuffer)
        _ = glfs_easy_setopt_data_cb(h, CURLOPT_WRITEFUNCTION, curlWriteCallback)
        _ = glfs_easy_setopt_ptr(h, CURLOPT_WRITEDATA, opaque)
        _ = glfs_easy_setopt_data_cb(h, CURLOPT_HEADERFUNCTION, curlHeaderCallback)
        _ = glfs_easy_setopt_ptr(h, CURLOPT_HEADERDATA, opaque)
        _ = glfs_easy_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, Int(configuration.connectTimeoutSeconds * 1000))
        _ = glfs_easy_setopt_long(h, CURLOPT_LOW_SPEED_LIMIT, configuration.lowSpeedBytesPerSecond)
        _ = glfs_easy_setopt_long(h, CURLOPT_LOW_SPEED_TIME, configuration.lowSpeedSeconds)
        if let timeout = request.timeoutSeconds {
            _ = glfs_easy_setopt_long(h, CURLOPT_TIMEOUT_MS, Int(timeout * 1000))
        }
        _ = glfs_easy_setopt_long(h, CURLOPT_BUFFERSIZE, configuration.receiveBufferBytes)
        _ = glfs_easy_setopt_long(h, CURLOPT_TCP_NODELAY, 1)
        _ = glfs_easy_setopt_long(h, CURLOPT_SSL_VERIFYPEER, configuration.verifyTLS ? 1 : 0)
        _ = glfs_easy_setopt_long(h, CURLOPT_SSL_VERIFYHOST, configuration.verifyTLS ? 2 : 0)
        if let ca = configuration.caBundlePath { _ = glfs_easy_setopt_string(h, CURLOPT_CAINFO, ca) }
        _ = glfs_easy_setopt_string(h, CURLOPT_USERAGENT, configuration.userAgent)
        _ = glfs_easy_setopt_long(h, CURLOPT_FOLLOWLOCATION, 0)

        _ = glfs_easy_setopt_string(h, CURLOPT_CUSTOMREQUEST, request.method)
        if case .none = request.body {
            if request.method == "HEAD" { _ = glfs_easy_setopt_long(h, CURLOPT_NOBODY, 1) }
        } else {
            _ = glfs_easy_setopt_long(h, CURLOPT_UPLOAD, 1)
            _ = glfs_easy_setopt_off(h, CURLOPT_INFILESIZE_LARGE, curl_off_t(request.body.length))
            _ = glfs_easy_setopt_data_cb(h, CURLOPT_READFUNCTION, curlReadCallback)
            _ = glfs_easy_setopt_ptr(h, CURLOPT_READDATA, opaque)
        }
        // "Expect:" with no value stops libcurl's 100-continue round trip on uploads.
        var list: UnsafeMutablePointer<curl_slist>? = curl_slist_append(nil, "Expect:")
        for (name, value) in request.headers {
            guard !name.contains(where: { $0 == "\r" || $0 == "\n" || $0 == ":" }),
                !value.contains(where: { $0 == "\r" || $0 == "\n" })
            else {
                curl_slist_free_all(list)
                return .other(code: -1, message: "header \(name) contains a line break")
            }
            list = curl_slist_append(list, "\(name): \(value)")
        }
        t.headerList = list
        _ = glfs_easy_setopt_ptr(h, CURLOPT_HTTPHEADER, list)
        return nil
    }

    private static func transportError(_ code: CURLcode, _ t: CurlTransfer) -> TransportError? {
        let detail = t.curlErrorDetail.isEmpty ? String(cString: curl_easy_strerror(code)) : t.curlErrorDetail
        switch code {
        case CURLE_OK: return nil
        case CURLE_WRITE_ERROR where t.overflowed:
            if case .collect(let limit) = t.sink { return .bodyTooLarge(limit: limit) }
            if case .scatter(let list) = t.sink { return .bodyTooLarge(limit: list.reduce(0) { $0 + $1.count }) }
            if case .stream = t.sink { return .bodyTooLarge(limit: t.received) }
            return .bodyTooLarge(limit: 0)
        case CURLE_ABORTED_BY_CALLBACK where t.requestBodyError != nil,
            CURLE_READ_ERROR where t.requestBodyError != nil:
            return .requestBodyUnreadable(t.requestBodyError ?? detail)
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL: return .invalidURL(detail)
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: return .couldNotResolveHost(detail)
        case CURLE_COULDNT_CONNECT: return .couldNotConnect(detail)
        case CURLE_OPERATION_TIMEDOUT: return .timedOut(detail)
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_PARTIAL_FILE, CURLE_GOT_NOTHING, CURLE_HTTP2,
            CURLE_HTTP2_STREAM, CURLE_WEIRD_SERVER_REPLY:
            return .connectionLost(detail)
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CERTPROBLEM,
            CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND:
            return .tls(detail)
        default:
            return .other(code: Int(code.rawValue), message: detail)
        }
    }
}

/// libcurl's process-wide setup, done once before any transfer.
enum CurlGlobal {
    private static let initialized: Bool = {
        curl_global_init(Int(CURL_GLOBAL_ALL)) == CURLE_OK
    }()

    static func ensureInitialized() {
        precondition(initialized, "libcurl failed to initialise")
    }
}
