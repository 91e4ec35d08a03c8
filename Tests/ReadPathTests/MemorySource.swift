import Foundation
import GlacierClient
import GlacierIntegrity
import GlacierModel
import Synchronization

@testable import GlacierFileSystem

/// An in-memory Glacier for the read engine: one output's bytes, served as the service serves
/// them (tree nodes only, with their checksum checked as GlacierClient checks it), with a hook
/// that can fail, truncate or corrupt any request.
final class MemorySource: JobOutputSource {
    let bytes: [UInt8]
    let geometry: TreeGeometry
    /// What to do with the n-th request (counting from 0) for `range`.
    let behaviour: @Sendable (_ n: Int, _ range: Range<Int64>) -> Behaviour
    private let log = Mutex<[Range<Int64>]>([])
    /// Waited before each answer, like a WAN's round trip.
    let latency: Duration
    private let inFlight = Mutex((now: 0, peak: 0))

    enum Behaviour: Sendable {
        case serve
        /// The body arrives damaged: the checksum check fails, as it would in GlacierClient.
        case corrupt
        /// The connection breaks part-way.
        case reset
        /// The connection breaks after this many body bytes arrived (the checksum was announced).
        case breakAfter(Int)
        case fail(GlacierError)
    }

    init(
        size: Int, seed: UInt64 = 1, latency: Duration = .zero,
        behaviour: @escaping @Sendable (Int, Range<Int64>) -> Behaviour = { _, _ in .serve }
    ) {
        self.latency = latency
        var state = seed
        var generated = [UInt8](repeating: 0, count: size)
        generated.withUnsafeMutableBytes { raw in
            // Eight bytes at a time: a byte-by-byte loop is slow in a debug build.
            let words = raw.count / 8
            let wordPointer = raw.baseAddress!.assumingMemoryBound(to: UInt64.self)
            for i in 0 ..< words {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                wordPointer[i] = state ^ (state >> 29)
            }
            for i in words * 8 ..< raw.count { raw[i] = UInt8(truncatingIfNeeded: i &* 31) }
        }
        bytes = generated
        geometry = TreeGeometry(size: Int64(size))
        treeHash = TreeHash.hash(generated)
        self.behaviour = behaviour
    }

    /// The most requests that were being answered at once.
    var peakRequestsInFlight: Int { inFlight.withLock { $0.peak } }

    /// Every range requested, in order.
    var requests: [Range<Int64>] { log.withLock { $0 } }

    /// The tree hash of the whole output, as DescribeJob gives it.
    let treeHash: SHA256Digest

    func fetchNode(
        vault: String, jobId: String, range: Range<Int64>, geometry: TreeGeometry,
        verification: OutputVerification, intoLeaves leaves: [UnsafeMutableRawBufferPointer],
        retry: RetryPolicy
    ) async throws(GlacierError) -> VerifiedOutputRange {
        let n = log.withLock { l in
            let n = l.filter { $0 == range }.count
            l.append(range)
            return n
        }
        inFlight.withLock {
            $0.now += 1
            $0.peak = max($0.peak, $0.now)
        }
        defer { inFlight.withLock { $0.now -= 1 } }
        if latency > .zero { try? await Task.sleep(for: latency) }
        guard verification == .sizeOnly || geometry.isTreeHashAligned(range) else {
            throw .invalidConfiguration("range \(range) is not a tree node")
        }
        switch behaviour(n, range) {
        case .fail(let error): throw error
        case .reset: throw .transport(.connectionLost("reset by the test"))
        case .breakAfter(let count):
            var at = Int(range.lowerBound), left = count
            for leaf in leaves where left > 0 {
                let n = min(left, leaf.count)
                bytes.withUnsafeBytes { all in
                    UnsafeMutableRawBufferPointer(rebasing: leaf[0 ..< n])
                        .copyMemory(from: UnsafeRawBufferPointer(rebasing: all[at ..< at + n]))
                }
                at += leaf.count
                left -= n
            }
            let announced = TreeHash.hash(Array(bytes[Int(range.lowerBound) ..< Int(range.upperBound)]))
            throw .interrupted(
                .connectionLost("broken by the test"), receivedBytes: count, announcedTreeHash: announced.hex)
        case .corrupt:
            throw .integrity(.checksumMismatch(range: "\(range)", expected: "served", computed: "damaged"))
        case .serve:
            bytes.withUnsafeBytes { all in
                var at = Int(range.lowerBound)
                for leaf in leaves {
                    leaf.copyMemory(from: UnsafeRawBufferPointer(rebasing: all[at ..< at + leaf.count]))
                    at += leaf.count
                }
            }
            let digests = leaves.map { SHA256.hash(UnsafeRawBufferPointer($0)) }
            return VerifiedOutputRange(
                range: range, totalSize: geometry.size, leafDigests: digests,
                serviceTreeHash: TreeHash.root(of: digests), contentType: "application/octet-stream",
                archiveDescription: "memory")
        }
    }
}

/// An engine over a `MemorySource`, with outputs in memory stores.
struct Engine {
    let readers: OutputReaders
    let source: MemorySource

    init(source: MemorySource, memory: Int = 64 << 20, parallel: Int = 8, maxRequest: Int = 16 << 20) {
        var configuration = FileSystemConfiguration()
        configuration.memoryBudgetBytes = memory
        configuration.maxParallelFetches = parallel
        configuration.maxRequestBytes = maxRequest
        configuration.fetchAttempts = 4
        readers = OutputReaders(
            source: source, cache: nil, configuration: configuration,
            logger: .init(label: "test"))
        self.source = source
    }

    static func job(_ source: MemorySource, treeHash: SHA256Digest? = nil) -> GlacierJobDescription {
        var job = GlacierJobDescription(
            jobId: "job", action: "ArchiveRetrieval", statusCode: "Succeeded", completed: true)
        job.archiveSizeInBytes = Int64(source.bytes.count)
        job.sha256TreeHash = (treeHash ?? source.treeHash).hex
        job.archiveId = "archive"
        return job
    }

    func open(shape: JobOutputShape? = nil, treeHash: SHA256Digest? = nil) throws -> OutputHandle {
        let job = Self.job(source, treeHash: treeHash)
        let shape = try shape ?? JobOutputShape.of(job, allowUnverified: false)
        return try readers.open(
            vault: "v", job: job, shape: shape,
            key: .init(endpoint: "memory", accountId: "-", vault: "v", jobId: "job")
        ).get()
    }
}

extension ReadOutcome {
    /// The bytes read, or nil on a failure.
    var bytes: [UInt8]? {
        guard case .data(let segments) = self else { return nil }
        return segments.flatMap { s in s.withUnsafeBytes { Array($0) } }
    }

    var failure: ReadFailure? {
        if case .failure(let f) = self { return f }
        return nil
    }
}

extension OutputHandle {
    /// Reads the whole output sequentially in `chunk`-byte reads, as cp does.
    func readAll(chunk: Int = 1 << 20) async -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(Int(size))
        var at: Int64 = 0
        while at < size {
            guard let piece = await read(offset: at, size: chunk).bytes else { return nil }
            out += piece
            at += Int64(piece.count)
        }
        return out
    }
}
