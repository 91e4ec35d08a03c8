import AWSSigning
import Foundation
import GlacierTestSupport
import Testing

/// What the service does over time: jobs expire, vaults go, keys rotate, clocks drift.
@Suite(.serialized) struct ServiceEdgeCaseTests {
    @Test func aJobThatExpiresMidReadKeepsItsCachedPartsReadable() async throws {
        let mib = ReliabilityFixture.mib
        try await ReliabilityFixture.with(sizes: [8 * mib]) { (f: ReliabilityFixture) async throws in
            try await f.mount { (m: MountedFileSystem) async throws in
                // One small read: the first leaf is fetched and cached, nothing else.
                #expect(
                    try await Command.run(
                        "/bin/dd",
                        [
                            "if=\(f.path(m, 0))", "of=/dev/null", "bs=4096", "count=1",
                            "iflag=direct", "status=none",
                        ]
                    ).status == 0)
                try await f.emulator.advanceJobClock(by: 2 * 86_400)  // the job's output expires now
                let r = try await Command.shell("cat '\(f.path(m, 0))' > /dev/null")
                #expect(
                    r.status != 0 && r.output.contains("Input/output error"),
                    "the uncached rest fails with EIO: \(r.output)")
                let again = f.directory.appendingPathComponent("again").path
                #expect(
                    try await Command.run(
                        "/bin/dd",
                        [
                            "if=\(f.path(m, 0))", "of=\(again)", "bs=1M", "count=1",
                            "iflag=direct", "status=none",
                        ]
                    ).status == 0)
                let source = try Data(contentsOf: f.outputs[0].source)
                #expect(
                    try Data(contentsOf: URL(fileURLWithPath: again)) == source.prefix(mib), "cached parts still served"
                )
                #expect(m.log.contains("no longer available from the service"), "a clear log line says why")
            }
        }
    }

    @Test func aDeletedVaultDisappearsFromTheMount() async throws {
        try await ReliabilityFixture.with(sizes: [ReliabilityFixture.mib]) { (f: ReliabilityFixture) async throws in
            try await f.client.createVault("short-lived")
            try await f.mount(["--listing-ttl", "0.5"]) { (m: MountedFileSystem) async throws in
                #expect(Set(try FileManager.default.contentsOfDirectory(atPath: m.mountpoint)) == ["v", "short-lived"])
                try await f.client.deleteVault("short-lived")
                var names: Set<String> = []
                for _ in 0 ..< 40 {
                    try await Task.sleep(nanoseconds: 250_000_000)
                    names = Set(try FileManager.default.contentsOfDirectory(atPath: m.mountpoint))
                    if names == ["v"] { break }
                }
                #expect(names == ["v"])
                try await Task.sleep(nanoseconds: 1_000_000_000)  // the kernel's name cache lasts one TTL
                var st = stat()
                #expect(stat(m.path("short-lived"), &st) == -1 && errno == ENOENT)
            }
        }
    }

    @Test func keysThatRotateWhileMountedAreReadAgain() async throws {
        try await TempDirectory.with("rotation") { (dir: URL) async throws in
            let data = dir.appendingPathComponent("data")
            let old = AWSCredentialSet(accessKeyId: "AKIDROTATEOLD", secretAccessKey: "old-secret-\(UUID())")
            let new = AWSCredentialSet(accessKeyId: "AKIDROTATENEW", secretAccessKey: "new-secret-\(UUID())")
            var emulator = try await EmulatorProcess.start(dataDirectory: data, credentials: old)
            let port = emulator.port
            do {
                let client = emulator.client()
                let file = try Seed.randomFile(size: 3 * ReliabilityFixture.mib, in: dir)
                let (_, jobId) = try await Seed.archiveJob(client, vault: "v", file: file)
                // The mount reads its keys from a shared credentials file, as `aws configure` writes it.
                let credentialsFile = dir.appendingPathComponent("credentials").path
                func writeKeys(_ c: AWSCredentialSet) throws {
                    try
                        "[default]\naws_access_key_id = \(c.accessKeyId)\naws_secret_access_key = \(c.secretAccessKey)\n"
                        .write(toFile: credentialsFile, atomically: true, encoding: .utf8)
                }
                try writeKeys(old)
                var env = emulator.environment
                env.removeValue(forKey: "AWS_ACCESS_KEY_ID")
                env.removeValue(forKey: "AWS_SECRET_ACCESS_KEY")
                env["AWS_SHARED_CREDENTIALS_FILE"] = credentialsFile
                try await MountedFileSystem.with(
                    endpoint: emulator.endpoint, environment: env,
                    cacheDirectory: dir.appendingPathComponent("cache").path
                ) { (m: MountedFileSystem) async throws in
                    _ = try FileManager.default.contentsOfDirectory(atPath: m.path("v/jobs"))
                    // Rotate: the service now knows only the new key, and the file says so.
                    emulator.stop()
                    emulator = try await EmulatorProcess.start(dataDirectory: data, port: port, credentials: new)
                    try writeKeys(new)
                    let sum = try await Command.run("/usr/bin/sha256sum", [m.path("v/jobs/\(jobId)/output")])
                    let expected = try await Command.run("/usr/bin/sha256sum", [file.path])
                    #expect(
                        sum.status == 0 && sum.output.prefix(64) == expected.output.prefix(64),
                        "reads work after the rotation: \(sum.output)")
                    #expect(m.log.contains("service refused the credentials; resolving them again"))
                }
            } catch {
                emulator.stopAndRemove()
                throw error
            }
            emulator.stopAndRemove()
        }
    }

    @Test func clockSkewIsExplainedAndWorkedAround() async throws {
        try await ReliabilityFixture.with(
            sizes: [2 * ReliabilityFixture.mib],
            extraEmulatorArguments: ["--clock-skew", "7200"]
        ) { (f: ReliabilityFixture) async throws in
            try await f.mount { (m: MountedFileSystem) async throws in
                #expect(try await ReliabilityFixture.sha256(f.path(m, 0)) == f.sourceHashes()[0])
                #expect(m.log.contains("clock is"), "the log says the clock is off: \(m.log.suffix(800))")
                #expect(m.log.contains("NTP"), "and what to do about it")
            }
        }
    }
}
