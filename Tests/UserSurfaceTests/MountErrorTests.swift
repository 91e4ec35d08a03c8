import Foundation
import GlacierTestSupport
import Testing

/// Every mistake `glacierfs mount` checks for before mounting, tried as a user would make it: the
/// exit code is the documented one and the message says what to do. Nothing is mounted.
@Suite struct MountErrorTests {
    /// A clean environment: no AWS keys, no profile files, no instance metadata.
    static func environment(home: URL, keys: Bool) -> [String: String] {
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("AWS_") }
        env["HOME"] = home.path
        env["AWS_EC2_METADATA_DISABLED"] = "true"
        if keys {
            env["AWS_ACCESS_KEY_ID"] = "AKIDEXAMPLE"
            env["AWS_SECRET_ACCESS_KEY"] = "not-a-real-secret"
        }
        return env
    }

    static func mount(_ arguments: [String], in dir: URL, keys: Bool = true) async throws -> Command.Result {
        try await Command.run(
            Surface.glacierfs, ["mount"] + arguments + ["--region", "us-east-1", "--cache-dir", dir.path + "/cache"],
            environment: environment(home: dir, keys: keys), timeout: 60)
    }

    @Test func eachMistakeGetsItsExitCodeAndWhatToDo() async throws {
        try await TempDirectory.with("mount-errors") { dir in
            let empty = dir.appendingPathComponent("mnt").path
            try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
            let nowhere = ["--endpoint", "http://127.0.0.1:1"]

            let missing = try await Self.mount([dir.path + "/absent"] + nowhere, in: dir)
            #expect(missing.status == 5 && missing.output.contains("mkdir -p \(dir.path)/absent"), "\(missing.output)")

            let full = dir.appendingPathComponent("full").path
            try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: full + "/keep.txt", contents: Data("x".utf8))
            let notEmpty = try await Self.mount([full] + nowhere, in: dir)
            #expect(
                notEmpty.status == 5 && notEmpty.output.contains("is not empty")
                    && notEmpty.output.contains("keep.txt"),
                "\(notEmpty.output)")

            let mounted = try await Self.mount(["/proc"] + nowhere, in: dir)
            #expect(mounted.status == 5 && mounted.output.contains("already a mount point"), "\(mounted.output)")

            let noKeys = try await Self.mount([empty] + nowhere, in: dir, keys: false)
            #expect(
                noKeys.status == 3 && noKeys.output.contains("AWS_ACCESS_KEY_ID")
                    && noKeys.output.contains("aws configure"),
                "\(noKeys.output)")

            let unreachable = try await Self.mount([empty] + nowhere, in: dir)
            #expect(
                unreachable.status == 4 && unreachable.output.contains("cannot reach http://127.0.0.1:1")
                    && unreachable.output.contains("Nothing from this endpoint is cached"), "\(unreachable.output)")

            let badSize = try await Self.mount([empty, "--cache-size", "lots"] + nowhere, in: dir)
            #expect(badSize.status == 64 && badSize.output.contains("e.g. 20G"), "\(badSize.output)")

            let nameless = try await Self.mount([empty, "-o", "ro,="] + nowhere, in: dir)
            #expect(nameless.status == 64 && nameless.output.contains("has no option name"), "\(nameless.output)")

            // /dev/fuse hidden in a mount namespace of its own (a tmpfs over /dev with only /dev/null).
            let script = "mount -t tmpfs tmpfs /dev && mknod -m 666 /dev/null c 1 3 && exec \"$0\" \"$@\""
            let noFuse = try await Command.run(
                "/usr/bin/unshare",
                [
                    "--mount", "--propagation", "private", "/bin/sh", "-c", script,
                    Surface.glacierfs, "mount", empty, "--region", "us-east-1",
                    "--cache-dir", dir.path + "/cache",
                ] + nowhere,
                environment: Self.environment(home: dir, keys: true), timeout: 60)
            #expect(noFuse.status == 6 && noFuse.output.contains("sudo apt install fuse3"), "\(noFuse.output)")

            #expect(!MountedFileSystem.isMountpoint(empty), "nothing was mounted")
            for result in [missing, notEmpty, mounted, noKeys, unreachable, noFuse] {
                #expect(!result.output.contains("not-a-real-secret"), "a secret in: \(result.output)")
            }
        }
    }
}
