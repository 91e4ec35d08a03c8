import Foundation
import GlacierTestSupport
import Testing

/// mount-helpers/install.sh, staged into a temp root with --destdir and the binaries this test
/// run was built with.
@Suite("install.sh")
struct InstallScriptTests {
    static func install(_ arguments: [String]) async throws -> Command.Result {
        try await Command.run("/bin/sh", [Surface.installScript] + arguments, timeout: 120)
    }

    static func mode(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue
    }

    @Test("--destdir --no-build --from installs the binaries, helper and unit with the right modes, idempotently")
    func stagedInstall() async throws {
        try await TempDirectory.with("install") { root in
            let from = TestPaths.buildDirectory.path
            let first = try await Self.install(["--destdir", root.path, "--no-build", "--from", from])
            #expect(first.status == 0, "install.sh failed: \(first.output)")
            let expected: [(path: String, mode: Int)] = [
                ("/usr/local/bin/glacierfs", 0o755), ("/usr/local/bin/glacier-emulator", 0o755),
                ("/sbin/mount.glacierfs", 0o755), ("/etc/systemd/system/glacierfs@.service", 0o644),
            ]
            for (path, mode) in expected {
                let staged = root.path + path
                #expect(Self.mode(staged) == mode, "\(path): mode \(String(Self.mode(staged) ?? -1, radix: 8))")
                #expect(first.output.contains("installed  \(staged)"), "\(first.output)")
            }
            let binary = try Data(contentsOf: root.appendingPathComponent("usr/local/bin/glacierfs"))
            #expect(binary == (try Data(contentsOf: URL(fileURLWithPath: Surface.glacierfs))))
            let helper = try String(contentsOfFile: root.path + "/sbin/mount.glacierfs", encoding: .utf8)
            #expect(helper.contains("\ndefault_bindir=/usr/local/bin\n"))
            let unit = try String(contentsOfFile: root.path + "/etc/systemd/system/glacierfs@.service", encoding: .utf8)
            #expect(unit.contains("ExecStart=/usr/local/bin/glacierfs mount %f --foreground $GLACIERFS_OPTIONS"))

            // Nothing outside the staging root: the listing is exactly the four files.
            let files = try FileManager.default.subpathsOfDirectory(atPath: root.path).filter { path in
                var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: root.path + "/" + path, isDirectory: &isDirectory)
                    && !isDirectory.boolValue
            }.sorted()
            #expect(
                files == [
                    "etc/systemd/system/glacierfs@.service", "sbin/mount.glacierfs",
                    "usr/local/bin/glacier-emulator", "usr/local/bin/glacierfs",
                ])

            let again = try await Self.install(["--destdir", root.path, "--no-build", "--from", from])
            #expect(again.status == 0, "\(again.output)")
            #expect(
                again.output.components(separatedBy: "unchanged  ").count - 1 == 4,
                "a second run should change nothing: \(again.output)")
        }
    }

    @Test("--prefix moves the binaries, and the helper and unit point at them")
    func prefix() async throws {
        try await TempDirectory.with("install-prefix") { root in
            let result = try await Self.install([
                "--prefix", "/opt/glacierfs", "--destdir", root.path, "--from",
                TestPaths.buildDirectory.path,
            ])
            #expect(result.status == 0, "\(result.output)")
            #expect(Self.mode(root.path + "/opt/glacierfs/bin/glacierfs") == 0o755)
            #expect(Self.mode(root.path + "/opt/glacierfs/bin/glacier-emulator") == 0o755)
            let helper = try String(contentsOfFile: root.path + "/sbin/mount.glacierfs", encoding: .utf8)
            #expect(helper.contains("\ndefault_bindir=/opt/glacierfs/bin\n"))
            let unit = try String(contentsOfFile: root.path + "/etc/systemd/system/glacierfs@.service", encoding: .utf8)
            #expect(unit.contains("ExecStart=/opt/glacierfs/bin/glacierfs mount %f --foreground $GLACIERFS_OPTIONS"))
            #expect(unit.contains("ExecStop=/opt/glacierfs/bin/glacierfs unmount %f"))
            #expect(!unit.contains("/usr/local/bin"))
        }
    }

    @Test("--help, an unknown option and a missing build directory")
    func usage() async throws {
        try await TempDirectory.with("install-usage") { root in
            let help = try await Self.install(["--help"])
            #expect(help.status == 0)
            for option in ["--prefix", "--destdir", "--deps", "--no-build", "--from"] {
                #expect(help.output.contains(option), "--help does not mention \(option)")
            }
            let unknown = try await Self.install(["--frobnicate"])
            #expect(
                unknown.status == 1 && unknown.output.contains("unknown option '--frobnicate'"), "\(unknown.output)")
            let missing = try await Self.install(["--destdir", root.path, "--from", root.path + "/nowhere"])
            #expect(missing.status == 1 && missing.output.contains("nowhere/glacierfs is missing"), "\(missing.output)")
            #expect(
                !FileManager.default.fileExists(atPath: root.path + "/usr"),
                "nothing should be installed after an error")
        }
    }
}
