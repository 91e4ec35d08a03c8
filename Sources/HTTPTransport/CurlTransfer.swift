import CCurl
import Foundation

/// A raw pointer that crosses from the caller's task to the curl thread.
struct SendableBuffer: @unchecked Sendable {  // The caller keeps the memory alive until the transfer ends.
    let base: UnsafeMutableRawPointer?
    let count: Int
}

/// Where one transfer's body goes, as the curl thread sees it.
enum TransferSink: Sendable {
    case collect(limit: Int)
    /// Filled in order; one caller buffer is a list of one.
    case scatter([SendableBuffer])
    case stream(any BodyStream)
}

/// One request handed to the engine thread. Everything here is Sendable; the C state is built on
/// that thread.
struct TransferSubmission: Sendable {
    let id: UInt64
    let request: HTTPRequest
    let sink: TransferSink
    let continuation: CheckedContinuation<HTTPResponse, any Error>
}

/// The state of one transfer. It lives only on the engine thread, which is why the C callbacks
/// may touch it without locks.
final class CurlTransfer {
    let id: UInt64
    let easy: UnsafeMutableRawPointer
    let continuation: CheckedContinuation<HTTPResponse, any Error>
    let sink: TransferSink
    let requestBody: RequestBody
    var requestBodyOffset: Int64 = 0
    var requestFile: FileHandle?
    var requestBodyError: String?
    var headerList: UnsafeMutablePointer<curl_slist>?
    let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)

    var status = 0
    var headers = HTTPHeaders()
    var collected: [UInt8] = []
    var received = 0
    var overflowed = false
    /// Error bodies never go into the caller's buffer: they are kept aside to be parsed.
    var divertedToErrorBody = false
    static let errorBodyLimit = 256 * 1024

    init(submission: TransferSubmission, easy: UnsafeMutableRawPointer) {
        id = submission.id
        self.easy = easy
        continuation = submission.continuation
        sink = submission.sink
        requestBody = submission.request.body
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        if let headerList { curl_slist_free_all(headerList) }
        errorBuffer.deallocate()
        try? requestFile?.close()
    }

    /// Called for each piece of the response body. A piece the transfer pauses on is not
    /// received: libcurl hands it again.
    func receive(_ bytes: UnsafeRawBufferPointer) -> Int {
        if received == 0 && !(200 ..< 300).contains(status) { divertedToErrorBody = true }
        let answer = take(bytes)
        if answer != glfs_writefunc_pause { received += bytes.count }
        return answer
    }

    private func take(_ bytes: UnsafeRawBufferPointer) -> Int {
        if divertedToErrorBody {
            if collected.count + bytes.count > Self.errorBodyLimit { return bytes.count }
            collected.append(contentsOf: bytes)
            return bytes.count
        }
        switch sink {
        case .collect(let limit):
            guard collected.count + bytes.count <= limit else {
                overflowed = true
                return 0  // makes libcurl stop with a write error
            }
            collected.append(contentsOf: bytes)
            return bytes.count
        case .scatter(let buffers):
            var rest = bytes
            while !rest.isEmpty {
                guard scatterIndex < buffers.count, let base = buffers[scatterIndex].base else {
                    overflowed = true
                    return 0
                }
                let room = buffers[scatterIndex].count - scatterOffset
                let n = min(room, rest.count)
                (base + scatterOffset).copyMemory(from: rest.baseAddress!, byteCount: n)
                scatterOffset += n
                rest = UnsafeRawBufferPointer(rebasing: rest[n...])
                if scatterOffset == buffers[scatterIndex].count {
                    scatterIndex += 1
                    scatterOffset = 0
                }
            }
            return bytes.count
        case .stream(let stream):
            return receive(bytes, into: stream)
        }
    }

    var scatterIndex = 0
    var scatterOffset = 0

    /// Buffers lent by a stream and not yet full; the first is being filled from `streamOffset`.
    private var lent: [UnsafeMutableRawBufferPointer] = []
    private var streamOffset = 0
    /// Set while libcurl holds the transfer paused for want of a buffer.
    var paused = false

    private func receive(_ bytes: UnsafeRawBufferPointer, into stream: any BodyStream) -> Int {
        // Every buffer this piece needs is borrowed before any byte is copied: a pause makes
        // libcurl hand the whole piece again.
        var room = lent.reduce(0) { $0 + $1.count } - streamOffset
        while room < bytes.count {
            switch stream.nextBuffer() {
            case .buffer(let b):
                lent.append(b)
                room += b.count
            case .later:
                paused = true
                return glfs_writefunc_pause
            case .end:
                overflowed = true
                return 0
            }
        }
        var rest = bytes
        while !rest.isEmpty {
            let target = lent[0]
            let n = min(target.count - streamOffset, rest.count)
            (target.baseAddress! + streamOffset).copyMemory(from: rest.baseAddress!, byteCount: n)
            streamOffset += n
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
            if streamOffset == target.count {
                lent.removeFirst()
                streamOffset = 0
                stream.bufferFilled()
            }
        }
        return bytes.count
    }

    /// Called once per header line, including each status line (there may be several, e.g.
    /// after `100 Continue`); only the last response's headers are kept.
    func receiveHeaderLine(_ line: UnsafeRawBufferPointer) {
        // Work on bytes: as a String, "\r\n" is one Character and defeats suffix checks.
        var bytes = line[...]
        while let last = bytes.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") {
            bytes = bytes.dropLast()
        }
        if bytes.starts(with: "HTTP/".utf8) {
            headers = HTTPHeaders()
            let parts = bytes.split(separator: UInt8(ascii: " "), maxSplits: 2)
            status = parts.count >= 2 ? Int(String(decoding: parts[1], as: UTF8.self)) ?? 0 : 0
            return
        }
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else { return }
        let name = String(decoding: bytes[..<colon], as: UTF8.self)
        // RFC 9110 optional white space is SP and HTAB only, not every Unicode space.
        let isOWS: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 }
        var value = bytes[(colon + 1)...]
        while let first = value.first, isOWS(first) { value = value.dropFirst() }
        while let last = value.last, isOWS(last) { value = value.dropLast() }
        headers.add(name, String(decoding: value, as: UTF8.self))
    }

    /// Fills libcurl's upload buffer from the request body.
    func supplyRequestBody(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let remaining = requestBody.length - requestBodyOffset
        let n = Int(min(Int64(buffer.count), remaining))
        guard n > 0 else { return 0 }
        switch requestBody {
        case .none:
            return 0
        case .bytes(let bytes):
            bytes.withUnsafeBytes { src in
                buffer.baseAddress!.copyMemory(from: src.baseAddress! + Int(requestBodyOffset), byteCount: n)
            }
        case .fileRegion(let path, let offset, _):
            do {
                if requestFile == nil { requestFile = try FileHandle(forReadingFrom: URL(fileURLWithPath: path)) }
                let got = pread(requestFile!.fileDescriptor, buffer.baseAddress, n, off_t(offset + requestBodyOffset))
                guard got > 0 else {
                    requestBodyError = got == 0 ? "\(path) ended early" : String(cString: strerror(errno))
                    return Int(CURL_READFUNC_ABORT)
                }
                requestBodyOffset += Int64(got)
                return got
            } catch {
                requestBodyError = "\(path): \(error.localizedDescription)"
                return Int(CURL_READFUNC_ABORT)
            }
        }
        requestBodyOffset += Int64(n)
        return n
    }

    var curlErrorDetail: String { String(cString: errorBuffer) }
}

// libcurl's callbacks. `userdata` is the CurlTransfer, unretained: the engine keeps it alive.
let curlWriteCallback: glfs_data_callback = { ptr, size, count, userdata in
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata!).takeUnretainedValue()
    return transfer.receive(UnsafeRawBufferPointer(start: ptr, count: size * count))
}

let curlHeaderCallback: glfs_data_callback = { ptr, size, count, userdata in
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata!).takeUnretainedValue()
    transfer.receiveHeaderLine(UnsafeRawBufferPointer(start: ptr, count: size * count))
    return size * count
}

let curlReadCallback: glfs_data_callback = { ptr, size, count, userdata in
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata!).takeUnretainedValue()
    return transfer.supplyRequestBody(into: UnsafeMutableRawBufferPointer(start: ptr, count: size * count))
}
