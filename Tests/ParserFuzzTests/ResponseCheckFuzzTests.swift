import Foundation
import GlacierModel
import Testing

@testable import GlacierClient
@testable import HTTPTransport

/// What the client makes of a hostile server's answers: error bodies of any shape, and ranged
/// job-output responses whose status, Content-Range and lengths may disagree.
@Suite struct ResponseCheckFuzzTests {
    static let statuses = [
        0, 100, 199, 200, 204, 206, 302, 304, 400, 403, 404, 408, 416, 429, 499, 500, 503, 599, 999, -1,
    ]

    static func headerName(_ name: String, _ r: inout FuzzRandom) -> String {
        r.pick([name, name.lowercased(), name.uppercased()])
    }

    @Test func serviceErrorFromAnyBody() {
        fuzz("GlacierClient.serviceError") { r, run in
            let status = r.oneIn(8) ? r.int(-1000 ... 100_000) : r.pick(Self.statuses)
            var body: [UInt8]
            var expectedBody: GlacierErrorBody?
            var known = true
            switch r.int(0 ..< 6) {
            case 0, 1:
                let hostility = r.int(0 ... 2)
                let (json, _, decoded) = HostileJSON.object(GlacierSchemas.error, &r, hostility: hostility)
                body = Array(HostileJSON.text(json).utf8)
                expectedBody = decoded.map(ExpectedModels.error)
            case 2:
                let page = r.pick([
                    "<html>\r\n<body>Bad Gateway\nproxy</body>\r\n</html>", "upstream\n\u{301}reset", "a\r\nb",
                ])
                body = Array(page.utf8) + r.bytes(r.int(0 ... 300))
            case 3: body = []
            case 4: body = r.bytes(r.int(0 ... 400))
            default:
                body = Array(
                    TextMutator.mutate(#"{"code":"ThrottlingException","message":"slow\ndown","type":"Client"}"#, &r)
                        .utf8)
                known = false
            }
            var headers = HTTPHeaders()
            let amzn = r.oneIn(3) ? "req-\(r.int(0 ... 999))" : nil
            let amz = r.oneIn(3) ? "other-\(r.int(0 ... 999))" : nil
            if let amz { headers.add(Self.headerName("x-amz-request-id", &r), amz) }
            if let amzn { headers.add(Self.headerName("x-amzn-RequestId", &r), amzn) }
            let response = HTTPResponse(status: status, headers: headers, body: body, bodyLength: body.count)

            guard case .service(let details) = GlacierClient.serviceError(from: response) else {
                run.expect(false, "status \(status) body \(show(body)): not a service error")
                return
            }
            let what = "status \(status) body \(show(body))"
            run.expect(details.httpStatus == status, "\(what): status \(details.httpStatus)")
            run.expect(
                details.requestId == (amzn ?? amz), "\(what): request id \(String(describing: details.requestId))")
            guard known else { return }
            if let expectedBody {
                run.expect(
                    details.code == expectedBody.code && details.message == (expectedBody.message ?? ""),
                    "\(what): \(details.code) \(show(details.message)), reference \(expectedBody.code)")
            } else {
                run.reject()
                // Not an error document: a code from the status, and the body's start on one line.
                let code = status >= 500 ? "ServiceUnavailableException" : "HTTP\(status)"
                // Both line breaks go: a bare CR rewrites a terminal line as surely as LF starts one.
                let snippet = String(
                    decoding: body.prefix(200).map { $0 == 0x0A || $0 == 0x0D ? 0x20 : $0 }, as: UTF8.self)
                let message = snippet.isEmpty ? "HTTP \(status)" : snippet
                run.expect(
                    details.code == code && details.message == message,
                    "\(what): \(details.code) \(show(details.message)), reference \(code) \(show(message))")
                run.expect(
                    !details.message.utf8.contains(0x0A), "\(what): message \(show(details.message)) spans lines")
            }
        }
    }

    /// design.md §2: bytes are handed on only from a response whose status, length and
    /// Content-Range describe exactly the bytes asked for.
    static func consistent(
        status: Int, contentRange: String?, contentLength: String?, bodyLength: Int,
        wanted: (first: Int64, last: Int64), outputSize: Int64, acceptWhole: Bool
    ) -> Bool {
        func describesWanted(_ header: String) -> Bool {
            guard let p = referenceContentRange(header) else { return false }
            return p.first == wanted.first && p.last == wanted.last && (p.total == nil || p.total == outputSize)
        }
        let length = wanted.last - wanted.first + 1
        switch status {
        case 206: guard let contentRange, describesWanted(contentRange) else { return false }
        case 200 where acceptWhole: if let contentRange, !describesWanted(contentRange) { return false }
        default: return false
        }
        guard Int64(bodyLength) == length else { return false }
        if let contentLength {
            // 1*DIGIT (RFC 9110 §8.6); leading zeros do not change the value.
            let digits = Array(contentLength.utf8)
            guard !digits.isEmpty, digits.allSatisfy({ (0x30 ... 0x39).contains($0) }) else { return false }
            let significant = digits.drop { $0 == 0x30 }
            return String(decoding: significant.isEmpty ? [0x30] : Array(significant), as: UTF8.self) == String(length)
        }
        return true
    }

    @Test func checkRangeAcceptsExactlyConsistentResponses() {
        fuzz("GlacierClient.checkRange") { r, run in
            let size = max(1, SizeGenerator.size(&r))
            let whole = r.oneIn(4)
            let first = whole ? 0 : r.int64(0 ... size - 1)
            let span = r.int64(0 ... 64 << 20)
            let last = whole ? size - 1 : r.int64(first ... min(size - 1, first + span))
            let wanted = InclusiveByteRange(first: first, last: last)!
            let acceptWhole = r.oneIn(10) ? r.bool() : (first == 0 && last == size - 1)
            let length = last - first + 1

            let status = r.int(0 ..< 10) < 7 ? (acceptWhole && r.bool() ? 200 : 206) : r.pick(Self.statuses)
            var contentRange: String?
            switch r.int(0 ..< 12) {
            case 0, 1: contentRange = nil
            case 2: contentRange = "bytes \(first)-\(last)/*"
            case 3: contentRange = "bytes \(first)-\(last)/\(r.pick([size - 1, size + 1, 0, last, Int64.max]))"
            case 4: contentRange = "bytes \(first + r.pick([-1, 1]))-\(last)/\(size)"
            case 5: contentRange = "bytes \(first)-\(last + r.pick([-1, 1]))/\(size)"
            case 6: contentRange = TextMutator.mutate("bytes \(first)-\(last)/\(size)", &r)
            case 7:
                contentRange = r.pick([
                    " bytes \(first)-\(last)/\(size)", "Bytes \(first)-\(last)/\(size)", "bytes=\(first)-\(last)", "",
                ])
            default: contentRange = "bytes \(first)-\(last)/\(size)"
            }
            var contentLength: String?
            switch r.int(0 ..< 10) {
            case 0, 1, 2: contentLength = nil
            case 3: contentLength = String(length + r.pick([-1, 1]))
            case 4:
                contentLength = r.pick([
                    "+\(length)", " \(length)", "0\(length)", "\(length) ", "-0", "", "99999999999999999999",
                ])
            case 5: contentLength = TextMutator.mutate(String(length), &r)
            default: contentLength = String(length)
            }
            let bodyLength =
                r.int(0 ..< 10) < 8 ? Int(length) : max(0, Int(length) + r.pick([-1, 1, -Int(length), Int(length)]))

            var headers = HTTPHeaders()
            if let contentRange { headers.add(Self.headerName("Content-Range", &r), contentRange) }
            if let contentLength { headers.add(Self.headerName("Content-Length", &r), contentLength) }
            let response = HTTPResponse(status: status, headers: headers, body: [], bodyLength: bodyLength)
            var accepted = true
            do throws(GlacierError) {
                try GlacierClient.checkRange(response, wanted: wanted, outputSize: size, acceptWhole: acceptWhole)
            } catch {
                accepted = false
                run.reject()
                if case .integrity = error {} else { run.expect(false, "not an integrity failure: \(error)") }
            }
            let expected = Self.consistent(
                status: status, contentRange: contentRange, contentLength: contentLength,
                bodyLength: bodyLength, wanted: (first, last), outputSize: size, acceptWhole: acceptWhole)
            run.expect(
                accepted == expected,
                "wanted \(wanted) of \(size) (acceptWhole \(acceptWhole)): status \(status), Content-Range \(contentRange.map(show) ?? "none"), "
                    + "Content-Length \(contentLength.map(show) ?? "none"), body \(bodyLength): \(accepted ? "accepted" : "refused"), "
                    + "reference \(expected ? "accepts" : "refuses")")
        }
    }
}
