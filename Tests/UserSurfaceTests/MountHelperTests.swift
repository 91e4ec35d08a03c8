import Foundation
import GlacierTestSupport
import Testing

/// mount-helpers/mount.glacierfs, through mount(8) for real and on its own. Serialized: the
/// helper is installed system-wide for the length of each test.
@Suite("mount.glacierfs", .serialized)
struct MountHelperTests {
    @Test("mount -t glacierfs VAULT DIR -o endpoint=...,cache_dir=...,_netdev,noauto mounts, and the file reads back")
    func mountByType() async throws {
        try await TempDirectory.with("helper-type") { dir in
            try await EmulatorHarness.with { emulator in
                let archive = try await Surface.seedArchive(emulator, in: dir, vault: "photos")
                let mountpoint = try Self.makeMountpoint(in: dir)
                let options = "endpoint=\(emulator.endpoint),cache_dir=\(dir.path)/cache,_netdev,noauto"
                try await HelperInstallation.with {
                    try await withCleanup({ Unmount.viaMountCommand(mountpoint) }) {
                        let result = try await Command.run(
                            "/bin/mount", ["-t", "glacierfs", archive.vault, mountpoint, "-o", options],
                            environment: Surface.mountEnvironment(emulator), timeout: 120)
                        #expect(result.status == 0, "mount failed: \(result.output)")
                        try #require(MountedFileSystem.isMountpoint(mountpoint), "not mounted: \(result.output)")
                        #expect(MountInfo.source(of: mountpoint) == "glacierfs:photos")
                        let same = try await offPool { try Surface.readsBack(archive, under: mountpoint) }
                        #expect(same, "the mounted output differs from the uploaded file")
                        let failure = try await offPool { Unmount.viaMountCommand(mountpoint) }
                        #expect(failure == nil, "umount failed: \(failure ?? "")")
                    }
                }
                #expect(!MountedFileSystem.isMountpoint(mountpoint))
                #expect(Processes.matching(mountpoint).isEmpty, "the daemon outlived the unmount")
                #expect(!MountInfo.utabMentions(mountpoint), "mount(8)'s record of the mount outlived it")
            }
        }
    }

    @Test("an fstab line with noauto,_netdev,x-systemd.automount mounts with mount -T, showing only its vaults")
    func mountFromFstab() async throws {
        try await TempDirectory.with("helper-fstab") { dir in
            try await EmulatorHarness.with { emulator in
                let photos = try await Surface.seedArchive(emulator, in: dir, vault: "photos")
                let backups = try await Surface.seedArchive(emulator, in: dir, vault: "backups")
                try await emulator.client().createVault("not-in-fstab")
                let mountpoint = try Self.makeMountpoint(in: dir)
                let fstab = dir.appendingPathComponent("fstab")
                try """
                # a test fstab
                photos:backups  \(mountpoint)  glacierfs  \
                noauto,_netdev,x-systemd.automount,nofail,endpoint=\(emulator.endpoint),cache_dir=\(dir.path)/cache  0 0

                """.write(to: fstab, atomically: true, encoding: .utf8)
                try await HelperInstallation.with {
                    try await withCleanup({ Unmount.viaMountCommand(mountpoint) }) {
                        let result = try await Command.run(
                            "/bin/mount", ["-T", fstab.path, mountpoint],
                            environment: Surface.mountEnvironment(emulator), timeout: 120)
                        #expect(result.status == 0, "mount -T failed: \(result.output)")
                        try #require(MountedFileSystem.isMountpoint(mountpoint), "not mounted: \(result.output)")
                        let vaults = try await offPool {
                            try FileManager.default.contentsOfDirectory(atPath: mountpoint).sorted()
                        }
                        #expect(vaults == ["backups", "photos"])
                        let same = try await offPool {
                            try Surface.readsBack(photos, under: mountpoint)
                                && Surface.readsBack(backups, under: mountpoint)
                        }
                        #expect(same, "a mounted output differs from the uploaded file")
                        let failure = try await offPool { Unmount.viaMountCommand(mountpoint) }
                        #expect(failure == nil, "umount failed: \(failure ?? "")")
                    }
                }
                #expect(!MountedFileSystem.isMountpoint(mountpoint))
                #expect(Processes.matching(mountpoint).isEmpty, "the daemon outlived the unmount")
                #expect(!MountInfo.utabMentions(mountpoint), "mount(8)'s record of the mount outlived it")
            }
        }
    }

    @Test("mount -f -v prints the glacierfs command, without the endpoint's password, and mounts nothing")
    func fakeAndVerbose() async throws {
        try await TempDirectory.with("helper-fake") { dir in
            let mountpoint = try Self.makeMountpoint(in: dir)
            let cache = dir.appendingPathComponent("cache").path
            var environment = ProcessInfo.processInfo.environment
            environment["GLACIERFS_BIN"] = Surface.glacierfs
            // No mount-only option such as _netdev here: a fake mount would record it in /run/mount/utab.
            let options = "endpoint=http://user:s3cretpw@127.0.0.1:9,cache_dir=\(cache),region=eu-west-1"
            let env = environment
            try await HelperInstallation.with {
                try await withCleanup({ Unmount.forceClean(mountpoint) }) {
                    let result = try await Command.run(
                        "/bin/mount", ["-f", "-v", "-t", "glacierfs", "photos", mountpoint, "-o", options],
                        environment: env, timeout: 60)
                    #expect(result.status == 0, "mount -f failed: \(result.output)")
                    #expect(
                        result.output.contains("mount.glacierfs: running \(Surface.glacierfs) mount \(mountpoint)"),
                        "\(result.output)")
                    #expect(result.output.contains("--region eu-west-1"))
                    #expect(result.output.contains("--vault photos"))
                    #expect(result.output.contains("--cache-dir \(cache)"))
                    #expect(!result.output.contains("s3cretpw"), "the password was printed: \(result.output)")
                    #expect(!MountedFileSystem.isMountpoint(mountpoint))
                    #expect(!FileManager.default.fileExists(atPath: cache), "glacierfs ran although -f was given")
                }
            }
            #expect(!MountInfo.utabMentions(mountpoint))
        }
    }

    @Test(
        "every known option becomes its glacierfs flag; mount-only options are dropped with a warning; the exit status passes through"
    )
    func optionMapping() async throws {
        try await TempDirectory.with("helper-options") { dir in
            let record = dir.appendingPathComponent("invocation").path
            let stub = dir.appendingPathComponent("glacierfs-stub").path
            try """
            #!/bin/sh
            printf '%s\\n' "$@" > "\(record)"
            printf 'AWS_CONFIG_FILE=%s\\nAWS_SHARED_CREDENTIALS_FILE=%s\\n' "${AWS_CONFIG_FILE-}" \
                "${AWS_SHARED_CREDENTIALS_FILE-}" >> "\(record)"
            exit "${STUB_EXIT:-0}"

            """.write(toFile: stub, atomically: true, encoding: .utf8)
            chmod(stub, 0o755)
            var environment = ProcessInfo.processInfo.environment
            environment["GLACIERFS_BIN"] = stub
            environment["STUB_EXIT"] = "7"
            environment.removeValue(forKey: "AWS_CONFIG_FILE")
            let options = [
                "rw", "region=eu-west-1", "profile=backup", "endpoint=https://glacier.eu-west-1.amazonaws.com",
                "account_id=123456789012", "cache_dir=/var/cache/g", "cache_size=200G", "cache_min_free=1G",
                "log_level=debug", "log_file=/var/log/g.log", "memory_limit=256M", "uid=0", "gid=root", "allow_other",
                "allow_unverified", "vault=extra", "aws_config_file=/etc/g/config", "aws_credentials_file=/etc/g/creds",
                "ca_bundle=/etc/g/ca.pem", "_netdev", "noauto", "nofail", "x-systemd.automount", "comment=systemd.x",
                "noatime", "nosuid", "nodev", "user=someone", "max_read=131072",
            ].joined(separator: ",")
            let env = environment
            let result = try await Command.run(
                Surface.helperScript, ["photos:backups", "/mnt/g", "-s", "-n", "-o", options, "-t", "glacierfs"],
                environment: env, timeout: 30)
            #expect(result.status == 7, "the stub's exit status should pass through: \(result.output)")
            #expect(
                result.output.contains(
                    "ignoring -o rw,_netdev,noauto,nofail,x-systemd.automount,comment=systemd.x,"
                        + "noatime,nosuid,nodev,user=someone"), "every dropped option is named: \(result.output)")
            let words = try String(contentsOfFile: record, encoding: .utf8).split(separator: "\n").map(String.init)
            #expect(
                words == [
                    "mount", "/mnt/g", "--region", "eu-west-1", "--profile", "backup",
                    "--endpoint", "https://glacier.eu-west-1.amazonaws.com", "--account-id", "123456789012",
                    "--cache-dir", "/var/cache/g", "--cache-size", "200G", "--cache-min-free", "1G", "--log-level",
                    "debug",
                    "--log-file", "/var/log/g.log", "--memory-limit", "256M", "--uid", "0", "--gid", "0",
                    "--allow-other",
                    "--allow-unverified", "--ca-bundle", "/etc/g/ca.pem", "-o", "max_read=131072",
                    "--vault", "photos", "--vault", "backups", "--vault", "extra",
                    "AWS_CONFIG_FILE=/etc/g/config", "AWS_SHARED_CREDENTIALS_FILE=/etc/g/creds",
                ])

            environment["STUB_EXIT"] = "0"
            let envAll = environment
            let all = try await Command.run(
                Surface.helperScript, ["all", "/mnt/g with space"], environment: envAll, timeout: 30)
            #expect(all.status == 0, "\(all.output)")
            let allWords = try String(contentsOfFile: record, encoding: .utf8).split(separator: "\n").map(String.init)
            #expect(
                allWords.prefix(2) == ["mount", "/mnt/g with space"] && allWords.count == 4,
                "'all' should mean no --vault: \(allWords)")
        }
    }

    @Test("a bad option fails with a message that names it, through mount(8) and on its own")
    func badOptions() async throws {
        try await TempDirectory.with("helper-bad") { dir in
            let mountpoint = try Self.makeMountpoint(in: dir)
            var environment = ProcessInfo.processInfo.environment
            environment["GLACIERFS_BIN"] = Surface.glacierfs
            let env = environment
            try await HelperInstallation.with {
                try await withCleanup({ Unmount.forceClean(mountpoint) }) {
                    let result = try await Command.run(
                        "/bin/mount", ["-t", "glacierfs", "photos", mountpoint, "-o", "cache_size=lots"],
                        environment: env, timeout: 60)
                    #expect(result.status != 0)
                    #expect(result.output.contains("cache_size=lots is not a size"), "\(result.output)")
                    #expect(!MountedFileSystem.isMountpoint(mountpoint))
                }
            }
            let cases: [(arguments: [String], message: String)] = [
                (["v", mountpoint, "-o", "uid=no-such-user-here"], "uid=no-such-user-here: no such user"),
                (["v", mountpoint, "-o", "region="], "-o region needs a value"),
                (["v", mountpoint, "-o", "allow_other=yes"], "-o allow_other takes no value"),
                (["v", mountpoint, "-o", "log_level=loud"], "log_level=loud"),
                (["v", mountpoint, "-o", "endpoint=ftp://host"], "must be an http:// or https:// URL"),
                (["v", mountpoint, "-o", "account_id=42"], "12-digit"),
                (["bad/vault", mountpoint], "'bad/vault' is not a vault name"),
                (["v", mountpoint, "-t", "nfs"], "mounts only type glacierfs"),
                (["v", mountpoint, "-x"], "unknown flag -x"),
                (["v"], "need a SOURCE"),
            ]
            for (arguments, message) in cases {
                let result = try await Command.run(Surface.helperScript, arguments, environment: env, timeout: 30)
                #expect(result.status == 1, "\(arguments): \(result.output)")
                #expect(result.output.contains(message), "\(arguments): \(result.output)")
            }
            environment["GLACIERFS_BIN"] = dir.appendingPathComponent("missing").path
            let envMissing = environment
            let missing = try await Command.run(
                Surface.helperScript, ["v", mountpoint], environment: envMissing, timeout: 30)
            #expect(missing.status == 1 && missing.output.contains("GLACIERFS_BIN="), "\(missing.output)")
        }
    }

    static func makeMountpoint(in dir: URL) throws -> String {
        let path = dir.appendingPathComponent("mnt").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

/// The mount table, as the kernel reports it.
enum MountInfo {
    /// The mount source ("fsname") at exactly `mountpoint`.
    static func source(of mountpoint: String) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count > 4, fields[4] == mountpoint, let dash = fields.firstIndex(of: "-"),
                fields.count > dash + 2
            else { continue }
            return fields[dash + 2]
        }
        return nil
    }

    /// Whether mount(8)'s own table of userspace options still lists `mountpoint`.
    static func utabMentions(_ mountpoint: String) -> Bool {
        let text = (try? String(contentsOfFile: "/run/mount/utab", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").contains { $0.split(separator: " ").contains("TARGET=\(mountpoint)") }
    }
}
