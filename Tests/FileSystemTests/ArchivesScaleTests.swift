import Foundation
import GlacierTestSupport
import Testing

/// `archives/` of a vault of 200,000 archives: the issue's figures, reported (not asserted: speed is
/// the benchmark's business), and the counts that must hold, asserted.
@Suite(.serialized) struct ArchivesScaleTests {
    static let count = 200_000

    /// Seconds `body` took, and what it returned.
    static func timed<T>(_ body: () async throws -> T) async rethrows -> (Double, T) {
        let start = Date()
        let value = try await body()
        return (Date().timeIntervalSince(start), value)
    }

    static func kibibytes(_ field: String, pid: pid_t) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix(field + ":") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
    }

    @Test func twoHundredThousandArchives() async throws {
        try await EmulatorProcess.with { emulator in
            try await TempDirectory.with("archives-scale") { dir in
                try await emulator.client().createVault("v")
                try await emulator.createSyntheticArchives(vault: "v", count: Self.count)
                try await emulator.createSyntheticJobs(vault: "v", count: 1, archiveId: nil)
                try await MountedFileSystem.with(
                    endpoint: emulator.endpoint, environment: emulator.environment,
                    cacheDirectory: dir.appendingPathComponent("cache").path
                ) { m in
                    let root = m.path("v/archives")
                    let (index, top) = try await Self.timed {
                        try await offPool { try FileManager.default.contentsOfDirectory(atPath: root) }
                    }
                    #expect(
                        Set(top) == [
                            "C", "dir0", "dir1", "dir3", "dir4", "dir5", "dir7", "dir8", "dir9", "dir11", "dir12",
                            "dir13", "dir15", "dir16", "dir17", "dir19", "flat",
                        ], "\(top.sorted())")
                    let (find, all) = try await Self.timed { try await Command.shell("find '\(root)' | wc -l") }
                    let files = try await Command.shell("find '\(root)' -type f | wc -l")
                    #expect(
                        files.output.trimmingCharacters(in: .whitespacesAndNewlines) == String(Self.count),
                        "every archive is a file: \(files.output)")
                    let (du, usage) = try await Self.timed { try await Command.shell("du -sh '\(root)'") }
                    #expect(usage.status == 0, "\(usage.output)")
                    let (ls, listing) = try await Self.timed { try await Command.shell("ls -l '\(root)/flat' | wc -l") }
                    #expect(
                        listing.output.trimmingCharacters(in: .whitespacesAndNewlines) == "10001",
                        "10,000 files and a total line")
                    let pid = try #require(await m.daemonPid(patience: .seconds(15)))
                    let rss = Self.kibibytes("VmRSS", pid: pid) / 1024
                    let peak = Self.kibibytes("VmHWM", pid: pid) / 1024
                    print(
                        """
                        archives/ of \(Self.count) archives (this build): first listing, which builds the index, \
                        \(String(format: "%.1f", index)) s; find | wc -l \(all.output.trimmingCharacters(in: .whitespacesAndNewlines)) \
                        entries in \(String(format: "%.1f", find)) s; du -sh \(usage.output.split(separator: "\t").first ?? "") \
                        in \(String(format: "%.1f", du)) s; ls -l of 10,000 files \(String(format: "%.2f", ls)) s; \
                        daemon RSS \(rss) MiB, peak \(peak) MiB
                        """)
                    #expect(m.log.contains("indexed vault v: \(Self.count) archives"))
                    print(m.log.split(separator: "\n").filter { $0.contains("indexed vault") }.joined(separator: "\n"))
                }
            }
        }
    }
}
