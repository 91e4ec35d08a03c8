import Foundation
import GlacierEmulator
import GlacierTestSupport
import Testing

/// No byte reaches a reader unverified.
@Suite(.serialized) struct VerificationTests {
    static func xattr(_ name: String, _ path: String) async throws -> String {
        let r = try await Command.run("/usr/bin/getfattr", ["--absolute-names", "--only-values", "-n", name, path])
        return r.status == 0 ? r.output : "(error \(r.status): \(r.output))"
    }

    /// The attribute once it reads `expected`, or its value after `timeout` seconds: verified
    /// leaves reach the cache (which the attribute reports) shortly after the reader has them.
    static func xattr(
        _ name: String, _ path: String, settlingOn expected: String, timeout: Double = 10
    ) async throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let value = try await xattr(name, path)
            if value == expected || Date() >= deadline { return value }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
    }

    @Test func unverifiableOutputsAreRefusedUnlessTheUserOptsIn() async throws {
        try await VaultFixture.with { (f: VaultFixture) async throws in
            let source = try Data(contentsOf: f.binary)[(1 * VaultFixture.mib) ..< (4 * VaultFixture.mib)]
            try await f.mount { (m: MountedFileSystem) async throws in
                let output = m.path(f.jobPath(f.unalignedRangeJob))
                let r = try await Command.shell("cat '\(output)' > /dev/null")
                #expect(r.status != 0 && r.output.contains("Input/output error"), "\(r.output.prefix(200))")
                #expect(try await Self.xattr("user.glacier.verified", output).hasPrefix("refused"))
                #expect(try await f.requests("GetJobOutput") == 0, "nothing is even fetched")
                let log = try String(contentsOfFile: m.cacheDirectory + "/glacierfs.log", encoding: .utf8)
                #expect(log.contains("refusing to serve vault v job \(f.unalignedRangeJob)"))
            }
            try await f.mount(extraArguments: ["--allow-unverified"]) { (m: MountedFileSystem) async throws in
                let output = m.path(f.jobPath(f.unalignedRangeJob))
                #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == source)
                #expect(
                    try await Self.xattr("user.glacier.verified", output).hasPrefix("unverified (--allow-unverified)"))
                let log = try String(contentsOfFile: m.cacheDirectory + "/glacierfs.log", encoding: .utf8)
                #expect(log.contains("WITHOUT checksum verification"))
            }
        }
    }

    @Test func corruptedResponsesAreRetriedAndNeverReachTheReader() async throws {
        try await VaultFixture.with { (f: VaultFixture) async throws in
            try await f.emulator.setFaults(
                [
                    "flip": 0.06, "wrong-checksum": 0.05, "truncate": 0.04, "reset": 0.03,
                    "bad-content-range": 0.03, "unavailable": 0.03, "throttle": 0.02,
                ], seed: 42)
            try await f.mount { (m: MountedFileSystem) async throws in
                let copy = f.directory.appendingPathComponent("copy").path
                #expect(try await Command.run("/bin/cp", [m.path(f.jobPath(f.binaryJob)), copy]).status == 0)
                #expect(try await VaultFixture.sha256(copy) == VaultFixture.sha256(f.binary.path))
                let tarCopy = f.directory.appendingPathComponent("tarcopy").path
                #expect(try await Command.run("/bin/cp", [m.path(f.jobPath(f.tarJob)), tarCopy]).status == 0)
                #expect(try await VaultFixture.sha256(tarCopy) == VaultFixture.sha256(f.tarball.path))
            }
            #expect(try await f.emulator.statistics().faultsTotal > 0, "faults were injected")
        }
    }

    @Test func aRangeThatNeverVerifiesFailsWithEIOAndNoWrongBytes() async throws {
        try await VaultFixture.with { (f: VaultFixture) async throws in
            try await f.emulator.setFaults(["flip": 1.0], seed: 9)
            try await f.mount { (m: MountedFileSystem) async throws in
                let copy = f.directory.appendingPathComponent("copy").path
                let r = try await Command.run("/bin/cp", [m.path(f.jobPath(f.binaryJob)), copy], timeout: 120)
                #expect(r.status != 0 && r.output.contains("Input/output error"), "\(r.output)")
                // Whatever cp managed to write before the error must be a true prefix of the source.
                let written = (try? Data(contentsOf: URL(fileURLWithPath: copy))) ?? Data()
                #expect(written == (try Data(contentsOf: f.binary)).prefix(written.count))
                let log = try String(contentsOfFile: m.cacheDirectory + "/glacierfs.log", encoding: .utf8)
                #expect(
                    log.contains("GetJobOutput for vault v job \(f.binaryJob) bytes "),
                    "the log names vault, job and range")
            }
        }
    }

    @Test func extendedAttributesDescribeTheOutputAndItsVerification() async throws {
        try await VaultFixture.with { (f: VaultFixture) async throws in
            try await f.mount { (m: MountedFileSystem) async throws in
                let output = m.path(f.jobPath(f.binaryJob))
                #expect(try await Self.xattr("user.glacier.verified", output) == "none")
                #expect(try await Self.xattr("user.glacier.job-id", output) == f.binaryJob)
                #expect(try await Self.xattr("user.glacier.archive-id", output) == f.binaryArchiveId)
                #expect(
                    try await Self.xattr("user.glacier.sha256-tree-hash", output)
                        == (try await f.client.describeJob(vault: "v", jobId: f.binaryJob)).sha256TreeHash)
                #expect(try await Self.xattr("user.glacier.archive-description", output) == "random binary")
                #expect(try await Self.xattr("user.mime_type", output) == "application/octet-stream")
                #expect(
                    try await Self.xattr("user.mime_type", m.path(f.jobPath(f.tarJob))) == "application/x-tar",
                    "sniffed from the ustar magic at offset 257")
                #expect(
                    try await Self.xattr("user.glacier.verified", output, settlingOn: "1 of 21 leaves")
                        == "1 of 21 leaves",
                    "reading the description fetched and verified leaf 0")
                _ = try Data(contentsOf: URL(fileURLWithPath: output))
                #expect(
                    try await Self.xattr("user.glacier.verified", output, settlingOn: "complete (root matched)")
                        == "complete (root matched)")
                #expect(try await Self.xattr("user.mime_type", m.path(f.jobPath(f.csvInventoryJob))) == "text/csv")
                let names = try await Command.run("/usr/bin/getfattr", ["--absolute-names", "-d", output]).output
                for name in ["archive-id", "job-id", "archive-description", "sha256-tree-hash", "verified"] {
                    #expect(names.contains("user.glacier.\(name)="), "\(name) is listed")
                }
            }
        }
    }
}
