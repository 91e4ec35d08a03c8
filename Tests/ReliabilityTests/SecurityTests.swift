import Foundation
import GlacierTestSupport
import Testing

/// Secrets stay secret, the cache is private, and nothing is opened wider than asked.
@Suite(.serialized) struct SecurityTests {
    @Test func secretsAppearNowhereWeWrite() async throws {
        try await ReliabilityFixture.with(sizes: [2 * ReliabilityFixture.mib]) { (f: ReliabilityFixture) async throws in
            let secret = f.emulator.credentials.secretAccessKey
            try await f.mount(["--log-level", "trace"]) { (m: MountedFileSystem) async throws in
                _ = try await ReliabilityFixture.sha256(f.path(m, 0))
                _ = try String(contentsOfFile: m.path("v/jobs/\(f.outputs[0].job)/job.json"), encoding: .utf8)
                let xattrs = try await Command.run(
                    "/usr/bin/getfattr", ["--absolute-names", "-R", "-d", "-m", "-", m.mountpoint])
                let status = try await Command.run(
                    "/usr/bin/getfattr",
                    [
                        "--absolute-names", "-n", "user.glacierfs.status",
                        m.mountpoint,
                    ])
                let jobs = try await Command.run(
                    TestPaths.binary("glacierfs"),
                    [
                        "jobs", "v", "--endpoint", f.emulator.endpoint,
                        "--log-level", "trace",
                    ],
                    environment: f.emulator.environment)
                let pid = await m.daemonPid(patience: .seconds(15))!
                let cmdline = try String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)
                for (what, text) in [
                    ("xattrs", xattrs.output), ("status", status.output), ("jobs command", jobs.output),
                    ("process title", cmdline), ("log", m.log),
                ] {
                    #expect(!text.isEmpty, "\(what) was read")
                    #expect(!text.contains(secret), "the secret key appears in the \(what)")
                }
                #expect(m.log.contains("operation=GetJobOutput"), "request-level debug logs were on")
            }
            // Every file the cache holds.
            let grep = try await Command.run("/bin/grep", ["-rl", "--", secret, f.cacheDirectory])
            #expect(grep.status == 1, "grep found the secret in: \(grep.output)")
        }
    }

    @Test func allowOtherIsOffByDefaultAndComesWithDefaultPermissions() async throws {
        try await ReliabilityFixture.with(sizes: [ReliabilityFixture.mib]) { (f: ReliabilityFixture) async throws in
            func options(_ m: MountedFileSystem) throws -> [String] {
                let mounts = try String(contentsOfFile: "/proc/mounts", encoding: .utf8)
                let line = mounts.split(separator: "\n").first { $0.split(separator: " ")[1] == m.mountpoint }!
                return line.split(separator: " ")[3].split(separator: ",").map(String.init)
            }
            try await f.mount { (m: MountedFileSystem) async throws in
                let o = try options(m)
                #expect(!o.contains("allow_other"))
                #expect(o.contains("default_permissions") && o.contains("ro"))
            }
            try await f.mount(["--allow-other"]) { (m: MountedFileSystem) async throws in
                let o = try options(m)
                #expect(o.contains("allow_other") && o.contains("default_permissions"))
            }
        }
    }

    @Test func theEmulatorListensOnLoopbackByDefault() async throws {
        try await EmulatorProcess.with { (emulator: EmulatorProcess) async throws in
            #expect(emulator.endpoint.hasPrefix("http://127.0.0.1:"))
            let ss = try await Command.run("/bin/ss", ["-ltnH", "sport = :\(emulator.port)"])
            #expect(
                ss.output.contains("127.0.0.1:\(emulator.port)") && !ss.output.contains("0.0.0.0:\(emulator.port)"),
                "\(ss.output)")
        }
    }

    @Test func tlsVerificationFailsClosed() async throws {
        try await TempDirectory.with("tls") { (dir: URL) async throws in
            let key = dir.appendingPathComponent("key.pem").path, cert = dir.appendingPathComponent("cert.pem").path
            let made = try await Command.run(
                "/usr/bin/openssl",
                [
                    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost",
                ])
            #expect(made.status == 0)
            // A port below Linux's ephemeral range (32768 on), which outgoing connections take, and
            // one nobody listens on; another is tried if the server still cannot bind it (a CI run
            // once failed here with "Address already in use").
            var started: (server: ChildProcess, port: Int)?
            var outputs: [String] = []
            for _ in 0 ..< 5 where started == nil {
                let port = Int.random(in: 20_000 ... 32_000)
                guard !(await Self.acceptsConnections(port: port, tries: 1)) else { continue }
                let server = try ChildProcess.start(
                    "/usr/bin/openssl",
                    [
                        "s_server", "-accept", "\(port)", "-cert", cert,
                        "-key", key, "-www", "-quiet",
                    ])
                if await Self.acceptsConnections(port: port), server.isRunning {
                    started = (server, port)
                } else {
                    outputs.append(server.output)
                    server.stop()
                }
            }
            let (server, port) = try #require(started, "openssl s_server did not start: \(outputs)")
            defer { server.stop() }
            let mountpoint = dir.appendingPathComponent("mnt").path
            try FileManager.default.createDirectory(atPath: mountpoint, withIntermediateDirectories: true)
            var env = ProcessInfo.processInfo.environment
            env["AWS_ACCESS_KEY_ID"] = "AKIDTLS"
            env["AWS_SECRET_ACCESS_KEY"] = "tls-secret"
            env["AWS_EC2_METADATA_DISABLED"] = "true"
            let r = try await Command.run(
                TestPaths.binary("glacierfs"),
                [
                    "mount", mountpoint, "--endpoint", "https://localhost:\(port)",
                    "--cache-dir", dir.appendingPathComponent("c").path,
                ],
                environment: env, timeout: 60)
            #expect(r.status != 0, "an untrusted certificate must stop the mount")
            #expect(r.output.contains("TLS") || r.output.contains("certificate"), "\(r.output)")
            #expect(!MountedFileSystem.isMountpoint(mountpoint))
            _ = try? await Command.run("/bin/fusermount3", ["-uz", mountpoint])
        }
    }

    /// Polls until something accepts TCP connections on 127.0.0.1:`port` (`tries` 50 ms apart).
    private static func acceptsConnections(port: Int, tries: Int = 200) async -> Bool {
        for _ in 0 ..< tries {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected =
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                } == 0
            close(fd)
            if connected { return true }
            try? await Task.sleep(nanoseconds: 50_000_000)
        }
        return false
    }
}
