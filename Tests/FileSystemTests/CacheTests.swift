import Foundation
import GlacierTestSupport
import Testing

/// The disk cache: it survives remounts, serves with the service down, and stays private.
@Suite(.serialized) struct CacheTests {
    @Test func aRemountWithTheServiceDownIsServedFromTheCache() async throws {
        try await VaultFixture.with { (f: VaultFixture) async throws in
            try await f.mount { (m: MountedFileSystem) async throws in
                #expect(
                    try await VaultFixture.sha256(m.path(f.jobPath(f.binaryJob))) == VaultFixture.sha256(f.binary.path))
                _ = try Data(contentsOf: URL(fileURLWithPath: m.path(f.jobPath(f.inventoryJob))))
            }
            let endpoint = f.emulator.endpoint
            f.emulator.stop()
            // Same endpoint, nothing listening: the mount comes up offline from what the cache knows.
            try await MountedFileSystem.with(
                endpoint: endpoint, environment: f.emulator.environment,
                cacheDirectory: f.cacheDirectory
            ) { (m: MountedFileSystem) async throws in
                #expect(try FileManager.default.contentsOfDirectory(atPath: m.mountpoint) == ["v"])
                #expect(
                    try await VaultFixture.sha256(m.path(f.jobPath(f.binaryJob))) == VaultFixture.sha256(f.binary.path))
                let inventory = try Data(contentsOf: URL(fileURLWithPath: m.path(f.jobPath(f.inventoryJob))))
                #expect(try JSONSerialization.jsonObject(with: inventory) is [String: Any])
                let uncached = m.path(f.jobPath(f.tarJob))
                var st = stat()
                #expect(stat(uncached, &st) == -1, "a job with nothing cached is not shown offline")
                let log = try String(contentsOfFile: f.cacheDirectory + "/glacierfs.log", encoding: .utf8)
                #expect(log.contains("OFFLINE"))
            }
        }
    }

    @Test func aSecondMountIsServedWithoutDownloading() async throws {
        try await VaultFixture.with { (f: VaultFixture) async throws in
            try await f.mount { m in _ = try await VaultFixture.sha256(m.path(f.jobPath(f.binaryJob))) }
            let fetchesBefore = try await f.requests("GetJobOutput")
            try await f.mount { (m: MountedFileSystem) async throws in
                #expect(
                    try await VaultFixture.sha256(m.path(f.jobPath(f.binaryJob))) == VaultFixture.sha256(f.binary.path))
            }
            #expect(try await f.requests("GetJobOutput") == fetchesBefore, "no output fetched again")
        }
    }

    @Test func aFullyCachedOutputOutlivesItsJob() async throws {
        try await VaultFixture.with { (f: VaultFixture) async throws in
            try await f.mount { m in _ = try await VaultFixture.sha256(m.path(f.jobPath(f.binaryJob))) }
            try await f.emulator.advanceJobClock(by: 2 * 86_400)  // every job has expired
            #expect(try await f.client.listJobs(vault: "v").jobs.isEmpty)
            try await f.mount { (m: MountedFileSystem) async throws in
                #expect(try FileManager.default.contentsOfDirectory(atPath: m.path("v/jobs")) == [f.binaryJob])
                #expect(
                    try await VaultFixture.sha256(m.path(f.jobPath(f.binaryJob))) == VaultFixture.sha256(f.binary.path))
                let note = try String(contentsOfFile: m.path(f.jobPath(f.binaryJob, "job.json")), encoding: .utf8)
                #expect(note.contains("the service no longer lists this job"))
            }
        }
    }

    @Test func theCacheIsPrivate() async throws {
        try await VaultFixture.with { (f: VaultFixture) async throws in
            try await f.mount { m in _ = try Data(contentsOf: URL(fileURLWithPath: m.path(f.jobPath(f.binaryJob)))) }
            var st = stat()
            #expect(stat(f.cacheDirectory, &st) == 0 && st.st_mode & 0o777 == 0o700)
            let files = FileManager.default.enumerator(atPath: f.cacheDirectory)!.compactMap { $0 as? String }
            #expect(files.count > 4)
            for file in files {
                let path = f.cacheDirectory + "/" + file
                #expect(stat(path, &st) == 0)
                let expected: mode_t = (st.st_mode & S_IFMT) == S_IFDIR ? 0o700 : 0o600
                #expect(st.st_mode & 0o777 == expected, "\(file) is \(String(st.st_mode & 0o777, radix: 8))")
            }
        }
    }
}
