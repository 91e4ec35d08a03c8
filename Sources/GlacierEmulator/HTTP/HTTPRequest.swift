import AWSSigning
import NIOHTTP1

/// A request head split into the parts the handlers use: decoded path segments and query
/// parameters, plus the raw path and query as sent (SigV4 signs those).
struct HTTPRequest: Sendable {
    let head: HTTPRequestHead
    let rawPath: String
    let rawQuery: String
    let segments: [String]
    let query: [String: String]

    init(head: HTTPRequestHead) {
        self.head = head
        let uri = head.uri
        if let q = uri.firstIndex(of: "?") {
            rawPath = String(uri[..<q])
            rawQuery = String(uri[uri.index(after: q)...])
        } else {
            rawPath = uri
            rawQuery = ""
        }
        segments = rawPath.split(separator: "/", omittingEmptySubsequences: true)
            .map { SigV4Canonical.percentDecode($0) }
        var query: [String: String] = [:]
        for pair in rawQuery.split(separator: "&") where !pair.isEmpty {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = SigV4Canonical.percentDecode(kv[0])
            let value = kv.count > 1 ? SigV4Canonical.percentDecode(kv[1]) : ""
            if query[name] == nil { query[name] = value }
        }
        self.query = query
    }

    var method: HTTPMethod { head.method }

    func header(_ name: String) -> String? { head.headers.first(name: name) }

    /// Whether the client waits for `100 Continue` before sending the body.
    var expectsContinue: Bool {
        header("Expect")?.lowercased() == "100-continue"
    }

    /// Whether the request may carry a body (a Content-Length above zero, or chunked framing).
    var mayHaveBody: Bool {
        if let length = header("Content-Length"), let n = Int64(length) { return n > 0 }
        return head.headers.contains(name: "Transfer-Encoding")
    }

    var contentLength: Int64? { header("Content-Length").flatMap { Int64($0) } }

    /// The request as SigV4 sees it, with the given payload hash.
    func signable(payloadHash: String) -> SignableRequest {
        SignableRequest(
            method: head.method.rawValue, path: rawPath, query: rawQuery,
            headers: head.headers.map { (name: $0.name, value: $0.value) }, payloadHash: payloadHash)
    }
}
