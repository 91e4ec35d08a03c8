import GlacierClient
import GlacierIntegrity

/// Where the engine gets verified tree nodes of a job's output: GlacierClient over the network,
/// or an in-memory source in tests. A conforming source hands back only bytes that passed its
/// checks, with the digest of every leaf, and throws otherwise.
protocol JobOutputSource: Sendable {
    func fetchNode(
        vault: String, jobId: String, range: Range<Int64>, geometry: TreeGeometry,
        verification: OutputVerification, intoLeaves leaves: [UnsafeMutableRawBufferPointer],
        retry: RetryPolicy
    ) async throws(GlacierError) -> VerifiedOutputRange

    /// The same, streamed leaf by leaf to `spill` (see `GlacierClient.streamJobOutput`): one
    /// attempt, verified before it returns.
    func streamNode(
        vault: String, jobId: String, range: Range<Int64>, geometry: TreeGeometry, to spill: any LeafSpill
    ) async throws(GlacierError) -> VerifiedOutputRange

    /// The service's round trip as its answers other than job output measured it (see
    /// `ClientStatistics.roundTripSeconds`); nil before any.
    var roundTripSeconds: Double? { get }
}

extension GlacierClient: JobOutputSource {
    var roundTripSeconds: Double? { statistics.roundTripSeconds }

    func fetchNode(
        vault: String, jobId: String, range: Range<Int64>, geometry: TreeGeometry,
        verification: OutputVerification, intoLeaves leaves: [UnsafeMutableRawBufferPointer],
        retry: RetryPolicy
    ) async throws(GlacierError) -> VerifiedOutputRange {
        try await getJobOutput(
            vault: vault, jobId: jobId, range: range, geometry: geometry, verification: verification,
            intoLeaves: leaves, retry: retry)
    }

    func streamNode(
        vault: String, jobId: String, range: Range<Int64>, geometry: TreeGeometry, to spill: any LeafSpill
    ) async throws(GlacierError) -> VerifiedOutputRange {
        try await streamJobOutput(vault: vault, jobId: jobId, range: range, geometry: geometry, to: spill)
    }
}
