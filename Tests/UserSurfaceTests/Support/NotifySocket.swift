import Foundation
import Synchronization

/// A unix datagram socket standing in for systemd's $NOTIFY_SOCKET: collects the state lines
/// (`READY=1`, `STOPPING=1`, ...) a Type=notify service sends.
final class NotifySocket: Sendable {
    let path: String
    private let fd: Int32
    private let lines = Mutex<[String]>([])

    /// Every state line received so far.
    var received: [String] { lines.withLock { $0 } }

    init(directory: URL) throws {
        path = directory.appendingPathComponent("notify.sock").path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw NotifyError("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            Glibc.close(fd)
            throw NotifyError("socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + 1)
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard status == 0 else {
            Glibc.close(fd)
            throw NotifyError("bind \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Reads datagrams until one holds `line` as one of its lines; false on timeout.
    func waitFor(_ line: String, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !received.contains(line) && Date() < deadline {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 {
                let new = String(decoding: buffer[0 ..< n], as: UTF8.self).split(separator: "\n").map(String.init)
                lines.withLock { $0 += new }
            }
        }
        return received.contains(line)
    }

    func close() {
        Glibc.close(fd)
        unlink(path)
    }
}

struct NotifyError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
