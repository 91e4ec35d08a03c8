import CPlatformSupport
import Foundation
import GlacierFileSystem
import GlacierTestSupport
import Testing

/// `getfattr` asks an attribute's size, then reads into a buffer of exactly that size. The status
/// document changes with every sample, so the read must still fit what the size query said.
@Suite(.serialized) struct AttributeSizeTests {
    static let name = GlacierFileSystem.statusAttribute

    /// The attribute read into a buffer of `size` bytes: its bytes, or the errno.
    static func read(_ path: String, size: Int) -> Result<[UInt8], POSIXError> {
        var buffer = [UInt8](repeating: 0, count: max(size, 1))
        let n = glfs_getxattr(path, name, &buffer, size)
        guard n >= 0 else { return .failure(POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)) }
        return .success(Array(buffer[0 ..< n]))
    }

    @Test func aValueThatGrowsBetweenItsSizeQueryAndItsReadStillArrives() async throws {
        try await ReliabilityFixture.with(sizes: [8 * ReliabilityFixture.mib]) { (f: ReliabilityFixture) async throws in
            try await f.mount { (m: MountedFileSystem) async throws in
                let asked = glfs_getxattr(m.mountpoint, Self.name, nil, 0)
                #expect(asked > 0)
                // Reading the output makes the counters grow by several digits.
                #expect(try await Command.run("/bin/cp", [f.path(m, 0), "/dev/null"]).status == 0)
                let fresh = try Self.read(m.mountpoint, size: 1 << 20).get()
                #expect(fresh.count > asked, "the document grew: \(asked) → \(fresh.count) bytes")
                let late = try Self.read(m.mountpoint, size: asked).get()
                #expect(late.count == asked, "the read fits the size it was told")
                let earlier = try JSONDecoder().decode(FileSystemStatus.self, from: Data(late))
                #expect(
                    earlier.serviceBytesReceived < ReliabilityFixture.mib, "it is the document the size was taken from")
                let tooSmall = Self.read(m.mountpoint, size: asked - 1)
                #expect(tooSmall.failure?.code == .ERANGE, "a buffer smaller than any answer is still ERANGE")
                let now = glfs_getxattr(m.mountpoint, Self.name, nil, 0)
                let current = try JSONDecoder().decode(
                    FileSystemStatus.self, from: Data(try Self.read(m.mountpoint, size: now).get()))
                #expect(current.serviceBytesReceived >= 8 * ReliabilityFixture.mib, "a new size query gets the new one")

                // The real tool, many times over while a cold copy changes the document.
                let copy = Task { try await Command.run("/bin/cp", [f.path(m, 0), "/dev/null"]) }
                var failures: [String] = []
                for _ in 0 ..< 100 {
                    let r = try await Command.run(
                        "/usr/bin/getfattr", ["--absolute-names", "--only-values", "-n", Self.name, m.mountpoint])
                    if r.status != 0 { failures.append(r.output) }
                }
                #expect(try await copy.value.status == 0)
                #expect(failures.isEmpty, "getfattr failed \(failures.count) of 100 times: \(failures.first ?? "")")
                report("attribute sizes: a read after the document grew got the \(asked)-byte answer; 100 getfattr ok")
            }
        }
    }
}

extension Result {
    fileprivate var failure: Failure? {
        if case .failure(let e) = self { return e }
        return nil
    }
}
