import Foundation
import GlacierIntegrity
import NIOCore
import Synchronization

/// Streams a request body into a temp file while computing its tree hash and SHA-256, so bodies of
/// any size pass through a bounded amount of memory. Hashing and writing run on the thread pool.
///
/// Owned by the one task that reads the request body.
final class BodySpool {
    /// The result of a finished spool: the file is fsynced and closed.
    struct Result: Sendable {
        let path: String
        let size: Int64
        let treeHash: SHA256Digest
        let leaves: [SHA256Digest]
        let contentSHA256: SHA256Digest
    }

    private let io: BlockingIO
    private let fd: Int32
    let path: String
    private let hashes = Hashes()
    private var pending: [ByteBuffer] = []
    private var pendingBytes = 0
    private var written: Int64 = 0
    private var closed = false

    /// Writes go to the pool in batches of about this many bytes.
    private static let batchSize = 1 << 20

    private init(io: BlockingIO, fd: Int32, path: String) {
        self.io = io
        self.fd = fd
        self.path = path
    }

    static func create(io: BlockingIO, tmpDir: String) async throws -> BodySpool {
        let (fd, path) = try await io.run { try FileOps.makeTempFile(in: tmpDir) }
        return BodySpool(io: io, fd: fd, path: path)
    }

    func append(_ buffer: ByteBuffer) async throws {
        guard buffer.readableBytes > 0 else { return }
        pending.append(buffer)
        pendingBytes += buffer.readableBytes
        if pendingBytes >= Self.batchSize { try await flush() }
    }

    private func flush() async throws {
        guard !pending.isEmpty else { return }
        let batch = pending
        let fd = fd, path = path, hashes = hashes, offset = written
        pending.removeAll(keepingCapacity: true)
        written += Int64(pendingBytes)
        pendingBytes = 0
        try await io.run {
            var at = offset
            for buffer in batch {
                hashes.update(buffer)
                try buffer.withUnsafeReadableBytes { try FileOps.writeAll(fd: fd, bytes: $0, offset: at, path: path) }
                at += Int64(buffer.readableBytes)
            }
        }
    }

    /// Flushes, fsyncs and closes the file, and returns its hashes. The caller owns the file then.
    func finish() async throws -> Result {
        try await flush()
        let fd = fd, path = path, hashes = hashes, size = written
        closed = true
        return try await io.run {
            defer { close(fd) }
            try FileOps.fsyncOrThrow(fd, path)
            let (tree, leaves, content) = hashes.finish()
            return Result(path: path, size: size, treeHash: tree, leaves: leaves, contentSHA256: content)
        }
    }

    /// Closes and deletes the temp file.
    func discard() async {
        let fd = fd, path = path, wasClosed = closed
        closed = true
        _ = try? await io.run {
            if !wasClosed { close(fd) }
            unlink(path)
        }
    }

    /// The two running hashes, handed between pool threads one batch at a time.
    private final class Hashes: Sendable {
        private struct State {
            let tree = TreeHashBuilder()
            let content = SHA256Hasher()
        }

        private let state = Mutex(State())

        func update(_ buffer: ByteBuffer) {
            state.withLock { s in
                buffer.withUnsafeReadableBytes {
                    s.tree.update($0)
                    s.content.update($0)
                }
            }
        }

        func finish() -> (SHA256Digest, [SHA256Digest], SHA256Digest) {
            state.withLock { s in
                let root = s.tree.finalize()
                return (root, s.tree.leafDigests, s.content.finalize())
            }
        }
    }
}
