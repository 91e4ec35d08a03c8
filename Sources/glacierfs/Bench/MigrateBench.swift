import Foundation
import GlacierClient

/// `bench --migrate`: migrate's copy stage beside `cp` from the mount, in the same run on the
/// same emulator, and many small archives. Runs alternate, so a slow spell weighs on both alike.
struct MigrateBench {
    let workspace: BenchWorkspace
    let progress: ProgressDisplay
    let runs: Int
    let smallArchives: Int
    let smallSize: Int

    struct Result {
        var lines: [String] = []
    }

    func run() throws -> [String] {
        let w = workspace
        let mount = BenchMount(workspace: w, extraArguments: [])
        defer { mount.unmount() }
        var cp: [BenchReport.Throughput] = [], cpToFile: [Double] = [], migrate: [Stage] = []
        var copied: [Stage] = []
        for run in 1 ... runs {
            progress.update("cp from the mount, cold, run \(run) of \(runs)")
            mount.unmount()
            try? FileManager.default.removeItem(atPath: w.cacheDirectory)
            try mount.mount()
            cp.append(try BenchMeasurements.copy([w.outputPath(w.sequentialJob)], workspace: w, mount: mount))
            progress.update("cp from the mount to a file, then sync, cold, run \(run) of \(runs)")
            mount.unmount()
            try? FileManager.default.removeItem(atPath: w.cacheDirectory)
            try mount.mount()
            cpToFile.append(try copyToFile(w.outputPath(w.sequentialJob)))
            progress.update("migrate of the same archive, cold, run \(run) of \(runs)")
            migrate.append(try migrateOnce(vault: w.vault, name: "one-\(run)", extra: []))
            progress.update("migrate --keep-cache of the same archive, cold, run \(run) of \(runs)")
            copied.append(try migrateOnce(vault: w.vault, name: "copy-\(run)", extra: ["--keep-cache"]))
        }
        mount.unmount()
        let cpMedian = BenchReport.Throughput.median(of: cp)!
        let toFile = cpToFile.sorted()[cpToFile.count / 2]
        let (stages, median) = Stage.sortedWithMedian(migrate)
        var lines = [
            "migrate benchmark, \(BenchRunner.machine()), \(ISO8601DateFormatter().string(from: Date()))",
            String(
                format: "cp from the mount (cold):      %.3f GB/s  (runs: %@)", cpMedian.gigabytesPerSecond,
                cp.map { String(format: "%.3f", $0.gigabytesPerSecond) }.joined(separator: ", ")),
            String(
                format: "migrate copy stage (cold):     %.3f GB/s  (runs: %@); whole command %.1f s for %@",
                median.rate / 1e9, stages.map { String(format: "%.3f", $0.rate / 1e9) }.joined(separator: ", "),
                median.wall, ByteSize.format(median.bytes)),
            String(
                format: "cp from the mount to a file + sync (cold): %.3f GB/s  (runs: %@)", toFile / 1e9,
                cpToFile.map { String(format: "%.3f", $0 / 1e9) }.joined(separator: ", ")),
            String(format: "migrate ÷ cp to /dev/null:     %.2f", median.rate / 1e9 / cpMedian.gigabytesPerSecond),
            String(format: "migrate ÷ cp to a file + sync: %.2f", median.rate / toFile),
        ]
        let (sorted, copyMedian) = Stage.sortedWithMedian(copied)
        lines += [
            String(
                format: "migrate --keep-cache (cold):   %.3f GB/s  (runs: %@); copies, so each byte is written twice",
                copyMedian.rate / 1e9, sorted.map { String(format: "%.3f", $0.rate / 1e9) }.joined(separator: ", ")),
            String(
                format: "  ÷ cp to /dev/null:           %.2f", copyMedian.rate / 1e9 / cpMedian.gigabytesPerSecond),
        ]
        progress.update("seeding \(smallArchives) archives of \(ByteSize.format(Int64(smallSize)))")
        try seedSmall()
        progress.update("migrate of \(smallArchives) small archives")
        let small = try migrateOnce(
            vault: "bench-small", name: "small",
            extra: [
                "--max-jobs", String(smallArchives),
                "--parallel-copies", "8",
            ])
        lines.append(
            String(
                format: "migrate %d × %@: copy stage %.1f MB/s, %.0f archives/s; whole command %.1f s",
                smallArchives, ByteSize.format(Int64(smallSize)), small.rate / 1e6,
                Double(smallArchives) / small.seconds, small.wall))
        return lines
    }

    /// `cp` from the mount to a file beside where migrate writes, then `sync` of that file: the same
    /// bytes on the same disk as durably as migrate leaves them. Bytes per second.
    func copyToFile(_ source: String) throws -> Double {
        let target = workspace.directory + "/cp-target"
        defer { try? FileManager.default.removeItem(atPath: target) }
        let started = Date()
        let r = try ChildProcesses.run(
            "/bin/sh", ["-c", "cp \"$0\" \"$1\" && sync \"$1\"", source, target],
            environment: ProcessInfo.processInfo.environment,
            logFile: workspace.directory + "/cp-file.log", timeout: 1800)
        let seconds = Date().timeIntervalSince(started)
        guard r.status == 0 else { throw UserFacingError("cp to a file failed: \(r.output)") }
        let size = (try FileManager.default.attributesOfItem(atPath: source)[.size] as? NSNumber)?.doubleValue ?? 0
        return size / seconds
    }

    struct Stage {
        var bytes: Int64
        var seconds: Double
        var wall: Double
        var rate: Double { seconds > 0 ? Double(bytes) / seconds : 0 }

        /// The runs slowest first, and their median.
        static func sortedWithMedian(_ runs: [Stage]) -> ([Stage], Stage) {
            let sorted = runs.sorted { $0.rate < $1.rate }
            return (sorted, sorted[sorted.count / 2])
        }
    }

    /// One `glacierfs migrate` into a fresh directory with a fresh cache; its copy stage as it reports it.
    func migrateOnce(vault: String, name: String, extra: [String]) throws -> Stage {
        let destination = workspace.directory + "/migrate-\(name)"
        let cache = workspace.directory + "/migrate-cache-\(name)"
        defer {
            try? FileManager.default.removeItem(atPath: destination)
            try? FileManager.default.removeItem(atPath: cache)
        }
        let started = Date()
        let r = try ChildProcesses.run(
            ChildProcesses.selfExecutable,
            [
                "migrate", vault, "--to", destination, "--endpoint", workspace.endpoint,
                "--cache-dir", cache, "--poll-interval", "0.2",
            ] + extra,
            environment: workspace.environment, logFile: workspace.directory + "/migrate-\(name).log",
            timeout: 1800)
        let wall = Date().timeIntervalSince(started)
        guard r.status == 0, let line = r.output.split(separator: "\n").first(where: { $0.hasPrefix("copy stage: ") })
        else {
            throw UserFacingError("migrate for the benchmark failed: \(r.output.suffix(2000))")
        }
        // "copy stage: N bytes in S s (…)"
        let words = line.split(separator: " ")
        guard words.count >= 6, let bytes = Int64(words[2]), let seconds = Double(words[5]) else {
            throw UserFacingError("unexpected migrate summary: \(line)")
        }
        return Stage(bytes: bytes, seconds: seconds, wall: wall)
    }

    func seedSmall() throws {
        let client = workspace.client
        let size = smallSize
        let count = smallArchives
        let source = workspace.directory + "/small-source"
        _ = try DemoSampleFiles.writeRandom(to: source, size: Int64(size)) { _ in }
        defer { try? FileManager.default.removeItem(atPath: source) }
        try runBlocking {
            try await client.createVault("bench-small")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for start in stride(from: 0, to: count, by: count / 8 + 1) {
                    group.addTask {
                        for i in start ..< min(count, start + count / 8 + 1) {
                            _ = try await client.uploadArchive(
                                vault: "bench-small", file: source,
                                description: "small/\(i).bin")
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }
}
