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
        // A slow link, so the second output's cold copy lasts while getfattr runs.
        try await ReliabilityFixture.with(
            sizes: [8 * ReliabilityFixture.mib, 48 * ReliabilityFixture.mib],
            extraEmulatorArguments: ["--latency-ms", "20", "--bandwidth", "2MB"]
        ) { (f: ReliabilityFixture) async throws in
            try await f.mount { (m: MountedFileSystem) async throws in
                let asked = glfs_getxattr(m.mountpoint, Self.name, nil, 0)
                #expect(asked > 0)
                // Reading an output makes the counters grow by several digits.
                #expect(try await Command.run("/bin/cp", [f.path(m, 0), "/dev/null"]).status == 0)
                let fresh = try Self.read(m.mountpoint, size: 1 << 20).get()
                #expect(fresh.count > asked, "the document grew: \(asked) → \(fresh.count) bytes")
                // A second caller asks now: each caller's read fits the size it was told.
                let askedLater = glfs_getxattr(m.mountpoint, Self.name, nil, 0)
                #expect(askedLater > asked)
                let late = try Self.read(m.mountpoint, size: asked).get()
                #expect(late.count == asked, "the read fits the size it was told")
                let earlier = try JSONDecoder().decode(FileSystemStatus.self, from: Data(late))
                #expect(
                    earlier.serviceBytesReceived < ReliabilityFixture.mib, "it is the document the size was taken from")
                let later = try JSONDecoder().decode(
                    FileSystemStatus.self, from: Data(try Self.read(m.mountpoint, size: askedLater).get()))
                #expect(later.serviceBytesReceived >= 8 * ReliabilityFixture.mib, "the later caller gets the later one")
                let tooSmall = Self.read(m.mountpoint, size: asked - 1)
                #expect(tooSmall.failure?.code == .ERANGE, "a buffer smaller than any answer is still ERANGE")

                // The real tool, over and over while a cold copy changes the document.
                let copy = Task { try await Command.run("/bin/cp", [f.path(m, 1), "/dev/null"]) }
                var runs = 0
                var failures: [String] = []
                repeat {
                    let r = try await Command.run(
                        "/usr/bin/getfattr", ["--absolute-names", "--only-values", "-n", Self.name, m.mountpoint])
                    if r.status != 0 { failures.append(r.output) }
                    runs += 1
                } while (try? await m.status())?.openHandles ?? 0 > 0 || runs < 20
                #expect(try await copy.value.status == 0)
                #expect(failures.isEmpty, "getfattr failed \(failures.count) of \(runs) times: \(failures.first ?? "")")
                report(
                    "attribute sizes: reads after the document grew got their \(asked)-byte answers; \(runs) getfattr ok"
                )
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
