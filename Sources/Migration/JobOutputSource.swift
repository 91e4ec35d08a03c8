import GlacierClient
import GlacierIntegrity

/// Opens archive-retrieval outputs for reading. The migration copies through this seam so that
/// the filesystem's verified read engine (parallel tree-node requests, checks, disk cache) does
/// the downloading.
public protocol JobOutputSource: Sendable {
    func open(vault: String, jobId: String, size: Int64) async throws -> any JobOutputHandle
}

/// An open output. Reads are verified before they return.
public protocol JobOutputHandle: Sendable {
    /// `size` bytes at `offset` (fewer only at the end of the output).
    func read(offset: Int64, size: Int) async throws -> [UInt8]
    func close() async
}

/// Reads outputs with the client's verified ranged reads, one tree node per request, several at
/// once. Without the read engine's disk cache: a stand-in until the engine is plugged in.
public struct DirectOutputSource: JobOutputSource {
    let client: GlacierClient
    let parallelRequests: Int

    public init(client: GlacierClient, parallelRequests: Int = 4) {
        self.client = client
        self.parallelRequests = parallelRequests
    }

    public func open(vault: String, jobId: String, size: Int64) async throws -> any JobOutputHandle {
        Handle(client: client, vault: vault, jobId: jobId, size: size, parallelRequests: parallelRequests)
    }

    struct Handle: JobOutputHandle {
        let client: GlacierClient
        let vault: String
        let jobId: String
        let size: Int64
        let parallelRequests: Int

        func read(offset: Int64, size wanted: Int) async throws -> [UInt8] {
            let geometry = TreeGeometry(size: size)
            let end = min(size, offset + Int64(wanted))
            guard offset < end else { return [] }
            let leaves = geometry.leaves(covering: offset..<end)
            let nodes = geometry.nodes(covering: leaves, maxLeaves: 4)
            let first = geometry.bytes(ofLeaves: leaves).lowerBound
            var parts = [[UInt8]](repeating: [], count: nodes.count)
            try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
                var next = 0
                func add() {
                    let index = next
                    let range = geometry.bytes(ofLeaves: nodes[index])
                    next += 1
                    group.addTask {
                        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(range.count), alignment: 16)
                        defer { buffer.deallocate() }
                        _ = try await client.getJobOutput(vault: vault, jobId: jobId, range: range, outputSize: size,
                                                          verification: .treeHash, into: buffer)
                        return (index, Array(buffer))
                    }
                }
                while next < nodes.count && next < parallelRequests { add() }
                while let (index, part) = try await group.next() {
                    parts[index] = part
                    if next < nodes.count { add() }
                }
            }
            let bytes = parts.flatMap { $0 }
            let skip = Int(offset - first)
            return skip == 0 && bytes.count == Int(end - offset) ? bytes : Array(bytes[skip ..< skip + Int(end - offset)])
        }

        func close() async {}
    }
}
