import Foundation

/// `bench --names`: the `archives/` view of a vault of many synthetic archives (issue figures:
/// index build, `find | wc -l`, `du -sh`, `ls -l` of 10,000 files, the daemon's RSS), then the
/// first listing again after a remount, which opens the index instead of parsing the inventory.
struct NamesBench {
    let workspace: BenchWorkspace
    let progress: ProgressDisplay
    let archives: Int

    static let vault = "names"
    /// The synthetic generator puts its first 10,000 archives in `flat/`.
    static let flatDirectory = "flat"

    func run() throws -> [String] {
        let w = workspace
        progress.update("seeding \(archives) archives and an inventory of them")
        try w.seedSyntheticArchives(vault: Self.vault, count: archives)
        let mount = BenchMount(workspace: w, extraArguments: [])
        defer { mount.unmount() }
        try mount.mount()
        let root = "\(w.mountpoint)/\(Self.vault)/archives"

        progress.update("first listing of archives/: downloads the inventory and builds the index")
        let (build, _) = try timed("ls '\(root)' > /dev/null")
        progress.update("find | wc -l")
        let (find, entries) = try timed("find '\(root)' | wc -l")
        progress.update("du -sh")
        let (du, usage) = try timed("du -sh '\(root)'")
        progress.update("ls -l of a directory of 10,000 files")
        let (ls, listed) = try timed("ls -l '\(root)/\(Self.flatDirectory)' | wc -l")
        let pid = mount.status()?.pid
        let rss = pid.flatMap { ProcessUsage.statusKibibytes("VmRSS", of: $0) }.map { $0 / 1024 }
        let peak = pid.flatMap { ProcessUsage.statusKibibytes("VmHWM", of: $0) }.map { $0 / 1024 }
        let anonymous = pid.flatMap { ProcessUsage.statusKibibytes("RssAnon", of: $0) }.map { $0 / 1024 }
        let fileBacked = pid.flatMap { ProcessUsage.statusKibibytes("RssFile", of: $0) }.map { $0 / 1024 }

        progress.update("remount, first listing again: the index is reused")
        mount.unmount()
        try mount.mount()
        let (reopen, _) = try timed("ls '\(root)' > /dev/null")
        let remountRSS = mount.status().flatMap { ProcessUsage.statusKibibytes("VmRSS", of: $0.pid) }.map { $0 / 1024 }

        func verdict(_ ok: Bool) -> String { ok ? "met" : "MISSED" }
        let count = entries.trimmingCharacters(in: .whitespacesAndNewlines)
        return [
            "archives/ benchmark, \(archives) synthetic archives, \(BenchRunner.machine()), "
                + ISO8601DateFormatter().string(from: Date()),
            String(format: "index build (first listing):  %6.2f s   target ≤ 10 s: %@", build, verdict(build <= 10)),
            String(
                format: "find | wc -l:                 %6.2f s   (%@ entries)   target ≤ 3 s: %@", find, count,
                verdict(find <= 3)),
            String(
                format: "du -sh:                       %6.2f s   (%@)", du,
                usage.split(separator: "\t").first.map(String.init) ?? "?"),
            String(
                format: "ls -l of 10,000 files:        %6.2f s   (%@ lines)", ls,
                listed.trimmingCharacters(in: .whitespacesAndNewlines)),
            "daemon RSS after these:       \(rss.map { "\($0) MiB" } ?? "?")   (peak \(peak.map { "\($0) MiB" } ?? "?"))"
                + "   target ≤ 300 MiB: \(verdict((rss ?? .max) <= 300))"
                + "; of it anonymous \(anonymous.map { "\($0) MiB" } ?? "?"), file-backed \(fileBacked.map { "\($0) MiB" } ?? "?")",
            String(
                format: "first listing after remount:  %6.2f s   (index reused; daemon RSS %@)", reopen,
                remountRSS.map { "\($0) MiB" } ?? "?"),
        ]
    }

    /// Runs a shell pipeline and times it; its standard output.
    private func timed(_ command: String) throws -> (Double, String) {
        let log = workspace.directory + "/names-command.log"
        let started = Date()
        let r = try ChildProcesses.run(
            "/bin/bash", ["-o", "pipefail", "-c", command], environment: ProcessInfo.processInfo.environment,
            logFile: log, timeout: 600)
        let seconds = Date().timeIntervalSince(started)
        guard r.status == 0 else { throw UserFacingError("`\(command)` failed (\(r.status)): \(r.output)") }
        return (seconds, r.output)
    }
}
