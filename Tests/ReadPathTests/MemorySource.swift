import Foundation
import GlacierClient
import GlacierIntegrity
import GlacierModel
import OutputCache
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
    /// The timings each answer reports, as a link with this wait and per-connection rate would
    /// measure (none when nil): lets a test show the engine a slow link without waiting on one.
    let reportedLink: (latency: Double, rate: Double)?
    private let inFlight = Mutex((now: 0, peak: 0))
    /// The round trip the service's other answers showed (see `JobOutputSource`).
    let roundTripSeconds: Double?

    enum Behaviour: Sendable {
        case serve
        /// The body arrives damaged: the checksum check fails, as it would in GlacierClient.
        case corrupt
        /// The connection breaks part-way.
        case reset
        /// The connection breaks after this many body bytes arrived (the checksum was announced).
        case breakAfter(Int)
        /// As `breakAfter`, with a checksum announced that the node's bytes do not have.
        case breakAfterAnnouncingAnother(Int)
        case fail(GlacierError)
    }

    init(
        size: Int, seed: UInt64 = 1, latency: Duration = .zero, reportedLink: (latency: Double, rate: Double)? = nil,
        roundTrip: Double? = nil, behaviour: @escaping @Sendable (Int, Range<Int64>) -> Behaviour = { _, _ in .serve }
    ) {
        self.latency = latency
        roundTripSeconds = roundTrip
        self.reportedLink = reportedLink
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

    /// Answers a request for `range`: counts it in flight and in the log, waits the latency, and
    /// runs `body` with how many requests for the same range came before.
    private func answering(
        _ range: Range<Int64>, _ body: (Int) throws(GlacierError) -> VerifiedOutputRange
    ) async throws(GlacierError) -> VerifiedOutputRange {
        inFlight.withLock {
            $0.now += 1
            $0.peak = max($0.peak, $0.now)
        }
        defer { inFlight.withLock { $0.now -= 1 } }
        let n = log.withLock { l in
            let n = l.filter { $0 == range }.count
            l.append(range)
            return n
        }
        if latency > .zero { try? await Task.sleep(for: latency) }
        return try body(n)
    }

    private func answer(_ range: Range<Int64>, _ digests: [SHA256Digest]) -> VerifiedOutputRange {
        let seconds = reportedLink.map { ($0.latency, $0.latency + Double(range.count) / $0.rate) }
        return VerifiedOutputRange(
            range: range, totalSize: geometry.size, leafDigests: digests,
            serviceTreeHash: TreeHash.root(of: digests), contentType: "application/octet-stream",
            archiveDescription: "memory", firstByteSeconds: seconds?.0, totalSeconds: seconds?.1)
    }

    /// The checksum a broken response announced before it broke.
    private func announcement(_ range: Range<Int64>, _ behaviour: Behaviour) -> SHA256Digest {
        if case .breakAfterAnnouncingAnother = behaviour { return SHA256.hash(Array("another node".utf8)) }
        return TreeHash.hash(Array(bytes[Int(range.lowerBound) ..< Int(range.upperBound)]))
    }

    /// Leaves a streamed node spilled, in order.
    private let spilled = Mutex<[Int]>([])
    var spilledLeaves: [Int] { spilled.withLock { $0 } }

    func streamNode(
        vault: String, jobId: String, range: Range<Int64>, geometry: TreeGeometry, to spill: any LeafSpill
    ) async throws(GlacierError) -> VerifiedOutputRange {
        try await answering(range) { n throws(GlacierError) in
            try streamNode(n, range: range, geometry: geometry, to: spill)
        }
    }

    private func streamNode(
        _ n: Int, range: Range<Int64>, geometry: TreeGeometry, to spill: any LeafSpill
    ) throws(GlacierError) -> VerifiedOutputRange {
        guard geometry.isTreeHashAligned(range) else {
            throw .invalidConfiguration("range \(range) is not a tree node")
        }
        let behaviour = behaviour(n, range)
        if case .fail(let error) = behaviour { throw error }
        let leaves = geometry.leaves(covering: range)
        var digests: [SHA256Digest] = []
        var received = 0
        for (i, leaf) in leaves.enumerated() {
            let length = geometry.leafLength(leaf)
            switch behaviour {
            case .reset where i == leaves.count / 2:
                throw .transport(.connectionLost("reset by the test"))
            case .breakAfter(let count) where received + length > count,
                .breakAfterAnnouncingAnother(let count) where received + length > count:
                throw .interrupted(
                    .connectionLost("broken by the test"), receivedBytes: count,
                    announcedTreeHash: announcement(range, behaviour).hex)
            default: break
            }
            // Leaves are handed back one at a time, so the spill always has a buffer to lend.
            guard let lent = spill.buffer(for: leaf) else { throw .invalidConfiguration("no buffer for leaf \(leaf)") }
            let buffer = UnsafeMutableRawBufferPointer(rebasing: lent[0 ..< length])
            let start = Int(geometry.bytes(ofLeaves: leaf ..< leaf + 1).lowerBound)
            bytes.withUnsafeBytes {
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[start ..< start + length]))
            }
            // A damaged body: its last leaf arrives with a flipped byte (and is spilled like that).
            if case .corrupt = behaviour, i == leaves.count - 1 { buffer[0] ^= 0xFF }
            let digest = SHA256.hash(UnsafeRawBufferPointer(buffer))
            guard spill.keep(leaf: leaf, bytes: UnsafeRawBufferPointer(buffer), digest: digest) else {
                throw .invalidConfiguration("leaf \(leaf) could not be kept")
            }
            spilled.withLock { $0.append(leaf) }
            digests.append(digest)
            received += length
        }
        if case .corrupt = behaviour {
            throw .integrity(.checksumMismatch(range: "\(range)", expected: "served", computed: "damaged"))
        }
        return answer(range, digests)
    }

    func fetchNode(
        vault: String, jobId: String, range: Range<Int64>, geometry: TreeGeometry,
        verification: OutputVerification, intoLeaves leaves: [UnsafeMutableRawBufferPointer],
        retry: RetryPolicy
    ) async throws(GlacierError) -> VerifiedOutputRange {
        try await answering(range) { n throws(GlacierError) in
            try fetchNode(n, range: range, geometry: geometry, verification: verification, intoLeaves: leaves)
        }
    }

    private func fetchNode(
        _ n: Int, range: Range<Int64>, geometry: TreeGeometry, verification: OutputVerification,
        intoLeaves leaves: [UnsafeMutableRawBufferPointer]
    ) throws(GlacierError) -> VerifiedOutputRange {
        guard verification == .sizeOnly || geometry.isTreeHashAligned(range) else {
            throw .invalidConfiguration("range \(range) is not a tree node")
        }
        let behaviour = behaviour(n, range)
        switch behaviour {
        case .fail(let error): throw error
        case .reset: throw .transport(.connectionLost("reset by the test"))
        case .breakAfter(let count), .breakAfterAnnouncingAnother(let count):
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
            throw .interrupted(
                .connectionLost("broken by the test"), receivedBytes: count,
                announcedTreeHash: announcement(range, behaviour).hex)
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
            return answer(range, leaves.map { SHA256.hash(UnsafeRawBufferPointer($0)) })
        }
    }
}

/// An engine over a `MemorySource`, with outputs in memory stores.
struct Engine {
    let readers: OutputReaders
    let source: MemorySource

    init(
        source: MemorySource, memory: Int = 64 << 20, parallel: Int = 8, maxRequest: Int = 16 << 20,
        cache: OutputCache? = nil
    ) {
        var configuration = FileSystemConfiguration()
        configuration.memoryBudgetBytes = memory
        configuration.maxParallelFetches = parallel
        configuration.maxRequestBytes = maxRequest
        configuration.fetchAttempts = 4
        readers = OutputReaders(
            source: source, cache: cache, configuration: configuration,
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
