import Foundation
import GlacierClient
import GlacierTestSupport
import OutputCache
import Testing

@testable import GlacierFileSystem

/// `GlacierFileSystem` itself, with no FUSE and no root: names and attributes from an in-process
/// emulator's listings, and the output's bytes from the in-memory source, so every data request
/// is counted and chosen by the test.
@Suite struct FileSystemModelTests {
    static let mib = 1 << 20

    @Test func namesAttributesAndBytesWithoutAMount() async throws {
        let source = MemorySource(size: 5 * Self.mib + 777)
        try await EmulatorHarness.with { (emulator: EmulatorHarness) async throws in
            let dir = TempDirectory.make("model")
            defer { try? FileManager.default.removeItem(at: dir) }
            let file = dir.appendingPathComponent("archive")
            try Data(source.bytes).write(to: file)
            let client = emulator.client()
            let (_, jobId) = try await Seed.archiveJob(client, vault: "v", file: file)
            let cache = try OutputCache(
                directory: dir.appendingPathComponent("cache").path, maxBytes: .max, minFreeBytes: 0)
            let fs = GlacierFileSystem(
                client: client, source: source, cache: cache, configuration: FileSystemConfiguration(),
                logger: .init(label: "test"))

            let vault = try await fs.lookup(parent: InodeTable.rootInode, name: "v").get()
            let jobs = try await fs.lookup(parent: vault.inode, name: "jobs").get()
            let job = try await fs.lookup(parent: jobs.inode, name: jobId).get()
            let output = try await fs.lookup(parent: job.inode, name: "output").get()
            #expect(output.size == Int64(source.bytes.count) && output.permissions == 0o444 && !output.isDirectory)
            #expect(await fs.open(inode: output.inode, writable: true).failure == .readOnly)

            let opened = try await fs.open(inode: output.inode, writable: false).get()
            var read: [UInt8] = []
            var at: Int64 = 0
            while at < output.size {
                let outcome = await withCheckedContinuation { c in
                    fs.read(handle: opened.handle, offset: at, size: 1 << 20) { c.resume(returning: $0) }
                }
                let piece = try #require(outcome.bytes)
                read += piece
                at += Int64(piece.count)
            }
            fs.release(handle: opened.handle)
            #expect(read == source.bytes, "the bytes come from the source, verified")
            fs.shutdown()
            let verified = try await fs.extendedAttribute(inode: output.inode, name: "user.glacier.verified").get()
            #expect(String(decoding: verified, as: UTF8.self) == "complete (root matched)")
            #expect(source.requests.reduce(0) { $0 + $1.count } == Int64(source.bytes.count))
        }
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let f) = self { return f }
        return nil
    }
}
