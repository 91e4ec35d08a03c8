import Foundation
import GlacierTestSupport

/// A deliberately small HTTP/1.1 client over a POSIX socket, so tests see exactly what the server
/// sent: short bodies, resets and interim responses included. One request per connection.
enum RawHTTP {
    enum Ending: Sendable, Equatable {
        /// The whole body (per Content-Length) arrived.
        case complete
        /// The connection closed before Content-Length bytes arrived.
        case closedEarly
        /// The connection was reset.
        case reset
    }

    struct Response: Sendable {
        let status: Int
        let headers: [(name: String, value: String)]
        let body: [UInt8]
        let ending: Ending
        /// Whether a `100 Continue` came before the response.
        let sawContinue: Bool

        func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }

        var text: String { String(decoding: body, as: UTF8.self) }

        /// The `code` of a JSON error body.
        var errorCode: String? {
            (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])?["code"] as? String
        }

        var json: Any? { try? JSONSerialization.jsonObject(with: Data(body)) }
    }

    static let glacierHeaders = [("x-amz-glacier-version", "2012-06-01")]

    /// `declaredLength` sends a Content-Length other than the body's, to stall the server.
    static func request(
        port: Int, method: String, path: String, headers: [(String, String)] = glacierHeaders,
        body: [UInt8] = [], expectContinue: Bool = false, declaredLength: Int? = nil
    )
        async throws -> Response
    {
        try await offPool {
            try exchange(
                port: port, method: method, path: path, headers: headers, body: body,
                expectContinue: expectContinue, declaredLength: declaredLength)
        }
    }

    /// The same exchange on the calling thread, for a caller that must not wait for a thread of
    /// Swift's shared pool to resume it.
    static func requestBlocking(port: Int, method: String, path: String) throws -> Response {
        try exchange(
            port: port, method: method, path: path, headers: glacierHeaders, body: [], expectContinue: false,
            declaredLength: nil)
    }

    /// A JSON admin call.
    static func admin(port: Int, method: String, path: String, json: String = "") async throws -> Response {
        try await request(port: port, method: method, path: "/_emulator/" + path, headers: [], body: Array(json.utf8))
    }

    /// Sends raw bytes and hangs up without reading, like a client that dies mid-request.
    static func sendAndHangUp(port: Int, _ bytes: [UInt8]) async throws {
        try await offPool {
            let fd = try connectSocket(port: port)
            defer { close(fd) }
            try writeAll(fd, bytes)
        }
    }

    private static func connectSocket(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket failed") }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(fd)
            throw TestFailure("connect to port \(port) failed: \(errno)")
        }
        return fd
    }

    private static func exchange(
        port: Int, method: String, path: String, headers: [(String, String)], body: [UInt8],
        expectContinue: Bool, declaredLength: Int?
    ) throws -> Response {
        let fd = try connectSocket(port: port)
        defer { close(fd) }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "PUT" || method == "POST" {
            head += "Content-Length: \(declaredLength ?? body.count)\r\n"
        }
        if expectContinue { head += "Expect: 100-continue\r\n" }
        head += "\r\n"
        try writeAll(fd, Array(head.utf8))
        var received: [UInt8] = []
        var sawContinue = false
        if expectContinue {
            let (interim, _) = readAll(fd, until: { $0.count >= 4 && Array($0.suffix(4)) == [13, 10, 13, 10] })
            sawContinue = String(decoding: interim, as: UTF8.self).hasPrefix("HTTP/1.1 100")
            if !sawContinue { received = interim }
        }
        if !expectContinue || sawContinue { try? writeAll(fd, body) }
        let (rest, wasReset) = readAll(fd, until: nil)
        received += rest
        return try parse(received, reset: wasReset, sawContinue: sawContinue)
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + done, bytes.count - done, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw TestFailure("send failed: \(errno)") }
            done += n
        }
    }

    /// Reads until EOF, an error, or `until` says stop. Returns the bytes and whether it ended in a reset.
    private static func readAll(_ fd: Int32, until: (([UInt8]) -> Bool)?) -> ([UInt8], Bool) {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: until == nil ? 1 << 16 : 1)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n < 0 { return (out, errno == ECONNRESET) }
            if n == 0 { return (out, false) }
            out.append(contentsOf: chunk[0 ..< n])
            if let until, until(out) { return (out, false) }
        }
    }

    private static func parse(_ bytes: [UInt8], reset: Bool, sawContinue: Bool) throws -> Response {
        var data = bytes
        // Skip interim responses that were not consumed separately.
        while true {
            guard let end = find([13, 10, 13, 10], in: data) else {
                if reset { return Response(status: 0, headers: [], body: [], ending: .reset, sawContinue: sawContinue) }
                throw TestFailure("no complete response head in \(data.count) bytes")
            }
            let headText = String(decoding: data[..<end], as: UTF8.self)
            var lines = headText.components(separatedBy: "\r\n")
            let statusLine = lines.removeFirst().split(separator: " ")
            guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw TestFailure("bad status line") }
            let body = Array(data[(end + 4)...])
            if status == 100 {
                data = body
                continue
            }
            let headers = lines.compactMap { line -> (name: String, value: String)? in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }
            let length = headers.first { $0.name.lowercased() == "content-length" }.flatMap { Int($0.value) }
            var ending = Ending.complete
            if let length, body.count < length { ending = reset ? .reset : .closedEarly }
            if reset && length == nil { ending = .reset }
            return Response(
                status: status, headers: headers, body: length.map { Array(body.prefix($0)) } ?? body,
                ending: ending, sawContinue: sawContinue)
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0 ... (haystack.count - needle.count) where haystack[i] == needle[0] {
            if Array(haystack[i ..< (i + needle.count)]) == needle { return i }
        }
        return nil
    }
}
