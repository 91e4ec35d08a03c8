import ArgumentParser
import Foundation
import GlacierFileSystem

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure every read path side by side with the raw HTTP ceiling, in one run.",
        discussion: """
            By default it starts an emulator, seeds one archive (--size), mounts it, and measures:
              (a) the raw HTTP ceiling: parallel ranged GETs over libcurl, no hashing, no FUSE, no cache
              (a′) the same GETs with every leaf hashed and checked: the ceiling of any verified reader
              (b) a cold sequential read through the mount (cp to /dev/null), verified and cached
              (c) a warm read (the kernel's page cache), the median of 3
              (d) a read from the disk cache after a remount, with the page cache dropped (root)
              (e) random 4 KiB reads, p50 and p99 latency, cold, then from the disk cache after a remount
              (f) 8 readers on 8 different outputs at once
              (g) cold reads with the emulator shaping the link like a WAN, each beside (a-WAN), parallel
                  ranged GETs with --parallel-fetches connections under the same shaping: (i) sequential,
                  and 8 readers on 8 outputs; (ii) sequential on a farther, slower WAN; sequential on a
                  link whose total bandwidth is capped
              (h) head reads (the first 4 KiB of cold outputs) under (i): latency and bytes fetched
            It prints a table with each figure's ratio to (a) and the daemon's CPU-seconds per GiB, and
            writes the same as JSON.

            Against a real vault, give --vault and --job (and --endpoint/--region/--profile as for
            mount): nothing is seeded or changed; (f) runs when you give 3 or more jobs, (g) never.
            """)

    @OptionGroup var service: ServiceOptions

    @Option(help: ArgumentHelp("Size of the seeded archive, a multiple of 8M, e.g. 2G.", valueName: "size"))
    var size = ByteSize(bytes: 1 << 30)

    @Option(name: .customLong("vault"), help: "A real vault to read from (read-only).")
    var vault: String?

    @Option(name: .customLong("job"), help: "An existing Succeeded job of that vault (repeat for more).")
    var jobs: [String] = []

    @Option(name: .customLong("json"), help: "Where to write the results as JSON.")
    var jsonPath = "glacierfs-bench.json"

    @Option(name: .customLong("work-dir"), help: "Scratch space (needs about 2 × --size free).")
    var workDirectory: String?

    @Option(name: .customLong("random-reads"), help: "Random 4 KiB reads per pass for (e).")
    var randomReads = 300

    @Option(
        help:
            "How many times (a), (a′), the curl baseline, (b), (c), (d) and each shaped link's ceiling and cold copies are measured; the table shows the medians."
    )
    var runs = 3

    @Option(
        name: .customLong("wan-latency-ms"),
        help: "First-byte latency the emulator adds for (g i), (h) and the capped link.")
    var wanLatencyMs = 50

    @Option(
        name: .customLong("wan-bandwidth"),
        help: ArgumentHelp(
            "Per-connection bandwidth the emulator allows for (g i), (h) and the capped link, in bytes per second, e.g. 40000000 or 64M (M = MiB).",
            valueName: "size"))
    var wanBandwidth = ByteSize(bytes: 40_000_000)

    @Option(name: .customLong("far-wan-latency-ms"), help: "First-byte latency for (g ii).")
    var farWanLatencyMs = 150

    @Option(
        name: .customLong("far-wan-bandwidth"),
        help: ArgumentHelp("Per-connection bandwidth for (g ii), in bytes per second.", valueName: "size"))
    var farWanBandwidth = ByteSize(bytes: 10_000_000)

    @Option(
        name: .customLong("link-cap"),
        help: ArgumentHelp(
            "Bandwidth of the one link all connections share, for the capped-link row, in bytes per second.",
            valueName: "size"))
    var linkCap = ByteSize(bytes: 200_000_000)

    @Option(
        name: .customLong("mount-option"), help: "An extra option for the benchmark's mounts, e.g. --memory-limit=256M."
    )
    var mountOptions: [String] = []

    @Flag(help: "Measure `migrate` instead: its copy stage beside a cold cp from the mount, and many small archives.")
    var migrate = false

    @Option(name: .customLong("small-archives"), help: "With --migrate: how many small archives to seed and migrate.")
    var smallArchives = 1000

    @Option(
        name: .customLong("small-size"),
        help: ArgumentHelp("With --migrate: the size of each small archive.", valueName: "size"))
    var smallSize = ByteSize(bytes: 64 << 10)

    @Flag(
        help:
            "Measure the archives/ view instead: a vault of --names-archives synthetic archives, its index build, find, du, ls -l and the daemon's RSS."
    )
    var names = false

    @Option(name: .customLong("names-archives"), help: "With --names: how many archives the vault has.")
    var namesArchives = 200_000

    @Flag(help: "Keep the work directory afterwards.")
    var keep = false

    /// The mounts' `--parallel-fetches`, from the extra options or the default.
    static func parallelFetches(in options: [String]) -> Int {
        let words = options.flatMap { $0.split(separator: "=", maxSplits: 1).map(String.init) }
        guard let i = words.firstIndex(of: "--parallel-fetches"), i + 1 < words.count, let n = Int(words[i + 1]) else {
            return FileSystemConfiguration().maxParallelFetches
        }
        return n
    }

    func validate() throws {
        guard size.bytes >= 64 << 20, size.bytes % (8 << 20) == 0 else {
            throw ValidationError("--size must be at least 64M and a multiple of 8M")
        }
        guard (vault == nil) == jobs.isEmpty else { throw ValidationError("--vault and --job go together") }
        guard !(names && migrate) else { throw ValidationError("--names and --migrate are separate runs: give one") }
        guard namesArchives >= 10_000 else { throw ValidationError("--names-archives must be at least 10000") }
        guard randomReads >= 10 else { throw ValidationError("--random-reads must be at least 10") }
        guard (1 ... 9).contains(runs) else { throw ValidationError("--runs must be 1 to 9") }
    }

    func run() throws {
        RedactingLogHandler.bootstrap(level: .warning)
        let progress = ProgressDisplay()
        let dir = workDirectory ?? NSTemporaryDirectory() + "glacierfs-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { if !keep { try? FileManager.default.removeItem(atPath: dir) } }
        let workspace: BenchWorkspace
        do {
            if let vault {
                workspace = try BenchWorkspace.existing(directory: dir, service: service, vault: vault, jobs: jobs)
            } else {
                // --names reads no archive bytes: the smallest seed will do.
                workspace = try BenchWorkspace.seeded(
                    directory: dir, size: names ? 64 << 20 : size.bytes, progress: progress)
            }
        } catch {
            throw ServiceErrorReport.userFacing(error, endpoint: service.endpoint ?? "the service")
        }
        defer { workspace.stop() }
        if names {
            guard vault == nil else { throw ValidationError("--names runs on the embedded emulator only") }
            let lines = try NamesBench(workspace: workspace, progress: progress, archives: namesArchives).run()
            progress.finish("done")
            for line in lines { print(line) }
            return
        }
        if migrate {
            guard vault == nil else { throw ValidationError("--migrate runs on the embedded emulator only") }
            let lines = try MigrateBench(
                workspace: workspace, progress: progress, runs: runs, smallArchives: smallArchives,
                smallSize: Int(smallSize.bytes)
            ).run()
            progress.finish("done")
            for line in lines { print(line) }
            return
        }
        let options = mountOptions.map { $0.hasPrefix("--") ? $0 : "--" + $0 }
        let near = BenchLink(firstByteLatencyMs: wanLatencyMs, bytesPerSecondPerConnection: wanBandwidth.bytes)
        var capped = near
        capped.linkBytesPerSecond = linkCap.bytes
        let links = [
            ("i", near),
            ("ii", BenchLink(firstByteLatencyMs: farWanLatencyMs, bytesPerSecondPerConnection: farWanBandwidth.bytes)),
            ("link", capped),
        ]
        let runner = BenchRunner(
            workspace: workspace, progress: progress, randomReads: randomReads, links: links,
            parallelFetches: Self.parallelFetches(in: options), mountOptions: options, runs: runs)
        let report = try runner.run()
        progress.finish("done")
        print(report.table())
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(report).write(to: URL(fileURLWithPath: jsonPath))
        print("results written to \(jsonPath)")
    }
}
