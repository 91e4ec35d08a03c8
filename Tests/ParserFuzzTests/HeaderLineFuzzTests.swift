import Testing

@testable import HTTPTransport

/// libcurl's header callback fed hostile header blocks. CurlTransfer has no pure parsing function,
/// so the test builds a real transfer around a dummy easy handle (never dereferenced: only the
/// callbacks below run) and a continuation it resumes itself.
@Suite struct HeaderLineFuzzTests {
    struct Model {
        var status = 0
        var headers: [(String, String)] = []

        /// RFC 9112: a status line `HTTP/x.y SSS reason` starts a response; a field line is
        /// `name:OWS value OWS`, with OWS only spaces and tabs; anything else is ignored.
        mutating func feed(_ line: [UInt8]) {
            var b = line[...]
            while let c = b.last, c == 0x0A || c == 0x0D { b = b.dropLast() }
            if b.starts(with: "HTTP/".utf8) {
                headers = []
                let words = b.split(separator: 0x20, maxSplits: 2, omittingEmptySubsequences: true)
                let code = words.count >= 2 ? words[1] : []
                status =
                    !code.isEmpty && code.count <= 18 && code.allSatisfy({ (0x30 ... 0x39).contains($0) })
                    ? Int(String(decoding: code, as: UTF8.self))! : 0
                return
            }
            guard let colon = b.firstIndex(of: 0x3A) else { return }
            var value = b[(colon + 1)...]
            while let c = value.first, c == 0x20 || c == 0x09 { value = value.dropFirst() }
            while let c = value.last, c == 0x20 || c == 0x09 { value = value.dropLast() }
            headers.append((String(decoding: b[..<colon], as: UTF8.self), String(decoding: value, as: UTF8.self)))
        }
    }

    static func line(_ r: inout FuzzRandom) -> [UInt8] {
        let ending = r.pick(["\r\n", "\r\n", "\n", "", "\r\r\n", "\n\n"])
        var text: [UInt8]
        switch r.int(0 ..< 10) {
        case 0:
            let code = r.pick(["200", "206", "100", "404", "2000", "99999999999999999999", "abc", "", "20x", "0"])
            text = Array(
                "HTTP/\(r.pick(["1.1", "1.0", "2"]))\(r.pick([" ", "  "]))\(code)\(r.pick(["", " OK", " Partial Content"]))"
                    .utf8)
        case 1: text = []
        case 2: text = r.bytes(r.int(0 ... 40))
        case 3: text = Array(TextMutator.mutate("Content-Range: bytes 0-1/2", &r).utf8)
        default:
            let name = r.pick([
                "Content-Range", "content-length", "X-Amz-Sha256-Tree-Hash", "Date", "X", "", "Bad Name", "HTTP/1.1",
            ])
            let pad = ["", " ", "\t", "  \t "]
            let value =
                r.pick(["bytes 0-1048575/5242880", "1048576", "a: b", "", "é", "v\u{0}w"])
                + (r.oneIn(16) ? r.pick(["\u{A0}", "\u{3000}"]) : "")
            text = Array("\(name):\(r.pick(pad))\(value)\(r.pick(pad))".utf8)
            if r.oneIn(8) { text += r.bytes(r.int(1 ... 4)) }
        }
        return text + Array(ending.utf8)
    }

    @Test func headerLinesMatchTheFieldGrammar() async {
        let dummyHandle = UnsafeMutableRawPointer.allocate(byteCount: 16, alignment: 16)
        defer { dummyHandle.deallocate() }
        _ = try? await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HTTPResponse, any Error>) in
            let submission = TransferSubmission(
                id: 0, request: HTTPRequest(method: "GET", url: "http://127.0.0.1/"),
                sink: .collect(limit: 0), continuation: continuation)
            let transfer = CurlTransfer(submission: submission, easy: dummyHandle)
            fuzz("CurlTransfer.receiveHeaderLine") { r, run in
                transfer.status = 0
                transfer.headers = HTTPHeaders()
                var model = Model()
                var lines: [[UInt8]] = []
                for _ in 0 ..< r.int(1 ... 8) {
                    let line = Self.line(&r)
                    lines.append(line)
                    line.withUnsafeBytes { transfer.receiveHeaderLine($0) }
                    model.feed(line)
                }
                run.executions += lines.count - 1
                let got = transfer.headers.fields.map { ($0.name, $0.value) }
                if transfer.status == 0 { run.reject() }
                run.expect(
                    transfer.status == model.status && got.elementsEqual(model.headers, by: ==),
                    "lines \(lines.map { show($0) }): status \(transfer.status) headers \(got.map { "\(show($0.0))=\(show($0.1))" }), "
                        + "reference \(model.status) \(model.headers.map { "\(show($0.0))=\(show($0.1))" })")
            }
            continuation.resume(throwing: CancellationError())
        }
    }
}
