import Foundation

/// Runs the measurements in order, on one workspace, so the ratios compare like with like.
struct BenchRunner {
    let workspace: BenchWorkspace
    let progress: ProgressDisplay
    let randomReads: Int
    /// The shaped links of (g): (i), (ii) and the capped link, in that order.
    let links: [(name: String, link: BenchLink)]
    let parallelFetches: Int
    let mountOptions: [String]
    /// How many times (a), the curl baseline, (b) and (d) are measured.
    let runs: Int

    func run() throws -> BenchReport {
        let w = workspace
        var report = BenchReport(
            mode: w.emulatorPid == nil ? "existing vault" : "embedded emulator", endpoint: w.endpoint,
            outputBytes: w.outputSize, date: ISO8601DateFormatter().string(from: Date()),
            machine: Self.machine(), cores: ProcessInfo.processInfo.activeProcessorCount,
            parallelFetches: parallelFetches)
        let mount = BenchMount(
            workspace: w,
            extraArguments: mountOptions.flatMap { $0.split(separator: "=", maxSplits: 1).map(String.init) })

        // (a), the curl baseline and (b) alternate, run after run, so a slow spell of the machine
        // weighs on all of them alike; each figure is the median of its runs.
        var raw: [BenchReport.Throughput] = [], hashed: [BenchReport.Throughput] = []
        var curl: [BenchReport.Throughput] = [], cold: [BenchReport.Throughput] = []
        var written: [BenchReport.Throughput] = [], hashing: [BenchReport.Throughput] = []
        let sequential = w.outputPath(w.sequentialJob)
        defer { mount.unmount() }
        for run in 1 ... runs {
            progress.update("(a) raw HTTP ceiling, run \(run) of \(runs)")
            raw.append(try BenchMeasurements.rawCeiling(w, job: w.sequentialJob, connections: 8))
            progress.update("(a′) raw HTTP ceiling with hashing, run \(run) of \(runs)")
            hashed.append(
                try BenchMeasurements.rawCeiling(w, job: w.sequentialJob, connections: 8, verification: .treeHash))
            progress.update("SHA-256 alone, run \(run) of \(runs)")
            hashing.append(BenchMeasurements.hashAlone(bytes: w.outputSize))
            progress.update("plain curl of the output, run \(run) of \(runs)")
            do { curl.append(try PlainCurlBaseline.measure(w)) } catch {
                if run == 1 { report.notes.append("the plain-curl baseline did not run: \(error)") }
            }
            progress.update("(b) cold sequential read, run \(run) of \(runs)")
            if run > 1 { try remountCold(mount) } else { try mount.mount() }
            cold.append(try BenchMeasurements.copy([sequential], workspace: w, mount: mount))
            progress.update("the disk's own write speed, run \(run) of \(runs)")
            // As much as (b) wrote, in whole MiB and at most 1 GiB (a real vault's job can be huge).
            let size = max(1 << 20, (min(w.outputSize, 1 << 30) >> 20) << 20)
            do { written.append(try DiskWriteSpeed.measure(directory: w.directory, bytes: size)) } catch {
                if run == 1 { report.notes.append("the disk write speed was not measured: \(error)") }
            }
        }
        report.rawCeiling = BenchReport.Throughput.median(of: raw)
        report.rawCeilingHashed = BenchReport.Throughput.median(of: hashed)
        report.hashAlone = BenchReport.Throughput.median(of: hashing)
        report.plainCurl = BenchReport.Throughput.median(of: curl)
        report.coldSequential = BenchReport.Throughput.median(of: cold)
        report.diskWriteSpeed = BenchReport.Throughput.median(of: written)
        report.daemonPeakRSSAfter["b"] = mount.sampleMemory()
        progress.update("(c) warm read")
        report.warmSequential = BenchReport.Throughput.median(
            of: try (0 ..< 3).map { _ in try BenchMeasurements.copy([sequential], workspace: w, mount: mount) })

        // The disk's speed swings from one moment to the next, so each (d) is set against the disk
        // read ceiling measured just before and just after it, and the ratio is the median of those.
        var fromDisk: [BenchReport.Throughput] = [], disk: [BenchReport.Throughput] = []
        var ratios: [Double] = []
        var ceilingFailed = false
        /// The disk read ceiling, just after a drop of the page cache.
        func ceiling(_ run: Int, _ when: String) -> BenchReport.Throughput? {
            progress.update("the disk's own read speed \(when) (d), run \(run) of \(runs)")
            do {
                let c = try DiskReadCeiling.measure(cacheDirectory: w.cacheDirectory, jobId: w.sequentialJob)
                disk.append(c)
                return c
            } catch {
                if !ceilingFailed { report.notes.append("the disk read ceiling was not measured: \(error)") }
                ceilingFailed = true
                return nil
            }
        }
        for run in 1 ... runs {
            mount.unmount()
            report.pageCacheDropped = BenchMount.dropPageCache()
            let before = report.pageCacheDropped == true ? ceiling(run, "before") : nil
            progress.update("(d) disk cache after a remount, run \(run) of \(runs)")
            _ = BenchMount.dropPageCache()
            try mount.mount()
            let d = try BenchMeasurements.copy([sequential], workspace: w, mount: mount)
            fromDisk.append(d)
            guard report.pageCacheDropped == true, let before else { continue }
            _ = BenchMount.dropPageCache()
            guard let after = ceiling(run, "after") else { continue }
            ratios.append(2 * d.gigabytesPerSecond / (before.gigabytesPerSecond + after.gigabytesPerSecond))
        }
        report.diskCacheAfterRemount = BenchReport.Throughput.median(of: fromDisk)
        report.diskReadCeiling = BenchReport.Throughput.median(of: disk)
        report.diskCacheRatios = ratios.isEmpty ? nil : ratios
        report.daemonPeakRSSAfter["d"] = mount.sampleMemory()
        if report.pageCacheDropped == true {
            report.diskCacheFromMemory = try diskCacheFromMemory(mount, notes: &report.notes)
        }

        progress.update("(e) random 4 KiB reads")
        let random = w.outputPath(w.randomJob)
        var generator = SystemRandomNumberGenerator()
        let offsets = (0 ..< randomReads).map { _ in
            Int64.random(in: 0 ..< (w.outputSize / 4096), using: &generator) * 4096
        }
        report.randomCold = BenchReport.Latency(try BenchMeasurements.randomReads(random, offsets: offsets))
        report.daemonPeakRSSAfter["e"] = mount.sampleMemory()
        // Cached means the disk cache: a new daemon (nothing in its memory) and no page cache.
        mount.unmount()
        _ = BenchMount.dropPageCache()
        try mount.mount()
        let before = mount.status()?.reads
        report.randomCached = BenchReport.Latency(try BenchMeasurements.randomReads(random, offsets: offsets))
        if let before, let after = mount.status()?.reads {
            report.randomCachedSources = BenchReport.CachedSources(
                blockReadsFromDisk: after.blockReadsFromDisk - before.blockReadsFromDisk,
                leavesFromDisk: after.leavesFromDisk - before.leavesFromDisk,
                leavesFromMemory: after.leavesFromMemory - before.leavesFromMemory,
                leavesFetched: after.leavesFetched - before.leavesFetched)
        }

        if w.parallelJobs.count >= 1 {
            progress.update("(f) \(w.parallelJobs.count) readers on \(w.parallelJobs.count) outputs")
            report.parallelReaders = try BenchMeasurements.copy(
                w.parallelJobs.map(w.outputPath), workspace: w, mount: mount)
            report.daemonPeakRSSAfter["f"] = mount.sampleMemory()
        }

        if w.emulatorPid != nil {
            let jobs = [w.wanSequentialJob, w.slowWanJob, w.cappedLinkJob]
            for ((name, link), job) in zip(links, jobs) {
                report.links.append(
                    try measure(
                        link, name: name, job: job, first: job == jobs[0], mount: mount,
                        rss: &report.daemonPeakRSSAfter, notes: &report.notes))
            }
            try w.setShaping(nil)
        } else {
            report.notes.append("(g) and (h) run only against the embedded emulator, which shapes the link")
        }
        mount.sampleMemory()
        report.daemonPeakRSSBytes = BenchMount.peakRSS.peak
        if report.pageCacheDropped == false {
            report.notes.append("not root: the page cache could not be dropped, so (d) and cached (e) may read memory")
        }
        return report
    }

    /// Under one shaped link: the ceiling, a cold `cp`, and with `first` the head reads, the 8
    /// readers, and both reads again with the cache in memory. The ceiling and the reads
    /// alternate run after run, each figure the median of its runs: one run of a few seconds
    /// moves with the machine's load. Every read is cold: a fresh daemon over an empty cache.
    private func measure(
        _ link: BenchLink, name: String, job: String, first: Bool, mount: BenchMount,
        rss: inout [String: Int], notes: inout [String]
    ) throws -> BenchReport.LinkMeasurement {
        let w = workspace
        var result = BenchReport.LinkMeasurement(name: name, link: link)
        try w.setShaping(link)
        let inMemory = first ? memoryMount(like: mount, for: "(g \(name))", notes: &notes) : nil
        defer {
            if let inMemory { removeMemoryMount(inMemory) }
        }
        var ceilings: [BenchReport.Throughput] = [], sequentials: [BenchReport.Throughput] = []
        var sequentialsInMemory: [BenchReport.Throughput] = []
        let path = [w.outputPath(job)]
        for run in 1 ... runs {
            progress.update("(a-WAN \(name)) ceiling, run \(run) of \(runs): \(link.label)")
            ceilings.append(try BenchMeasurements.rawCeiling(w, job: job, connections: parallelFetches))
            progress.update("(g \(name)) WAN sequential, run \(run) of \(runs): \(link.label)")
            sequentials.append(try coldCopy(path, on: mount, rssKey: "g \(name) sequential", rss: &rss))
            if let inMemory {
                progress.update("(g \(name)) WAN sequential, cache in memory, run \(run) of \(runs)")
                sequentialsInMemory.append(
                    try coldCopy(path, on: inMemory, rssKey: "g \(name) sequential in memory", rss: &rss))
            }
        }
        result.ceiling = BenchReport.Throughput.median(of: ceilings)
        result.sequential = BenchReport.Throughput.median(of: sequentials)
        result.sequentialMemoryCache = BenchReport.Throughput.median(of: sequentialsInMemory)
        guard first else { return result }
        progress.update("(h \(name)) head reads: \(link.label)")
        try remountCold(mount)
        let heads = try BenchMeasurements.headReads(w.headJobs.map(w.outputPath), mount: mount)
        result.headRead = BenchReport.Latency(heads.microseconds)
        result.headReadFetchedBytes = heads.fetched
        rss["h \(name)"] = mount.sampleMemory()
        var parallel: [BenchReport.Throughput] = [], parallelInMemory: [BenchReport.Throughput] = []
        let paths = w.wanParallelJobs.map(w.outputPath)
        for run in 1 ... runs {
            progress.update("(g \(name)) WAN 8 readers, run \(run) of \(runs): \(link.label)")
            parallel.append(try coldCopy(paths, on: mount, rssKey: "g \(name) 8 readers", rss: &rss))
            if let inMemory {
                progress.update("(g \(name)) WAN 8 readers, cache in memory, run \(run) of \(runs)")
                parallelInMemory.append(
                    try coldCopy(paths, on: inMemory, rssKey: "g \(name) 8 readers in memory", rss: &rss))
            }
        }
        result.parallelReaders = BenchReport.Throughput.median(of: parallel)
        result.parallelReadersMemoryCache = BenchReport.Throughput.median(of: parallelInMemory)
        return result
    }

    /// (d) again with the cache copied into memory, read the same way: the read path's own
    /// ceiling without the disk, which (d) meets when the disk reads faster. Remounts `mount`.
    private func diskCacheFromMemory(_ mount: BenchMount, notes: inout [String]) throws -> BenchReport.Throughput? {
        mount.unmount()
        let result = try readCopyInMemory(of: mount, notes: &notes)
        try mount.mount()
        return result
    }

    private func readCopyInMemory(of mount: BenchMount, notes: inout [String]) throws -> BenchReport.Throughput? {
        let w = workspace
        guard let inMemory = memoryMount(like: mount, for: "(d)", notes: &notes) else { return nil }
        defer { removeMemoryMount(inMemory) }
        progress.update("(d) with the cache in memory: copying the cache to \(inMemory.cacheDirectory)")
        let copied = try ChildProcesses.run(
            "/bin/cp", ["-a", mount.cacheDirectory + "/.", inMemory.cacheDirectory],
            environment: ProcessInfo.processInfo.environment, logFile: w.directory + "/cache-copy.log",
            timeout: 600)
        guard copied.status == 0 else {
            notes.append("(d) with the cache in memory was not measured: copying the cache failed: \(copied.output)")
            return nil
        }
        var runs: [BenchReport.Throughput] = []
        for run in 1 ... self.runs {
            progress.update("(d) with the cache in memory, run \(run) of \(self.runs)")
            inMemory.unmount()
            _ = BenchMount.dropPageCache()
            try inMemory.mount()
            runs.append(try BenchMeasurements.copy([w.outputPath(w.sequentialJob)], workspace: w, mount: inMemory))
        }
        return BenchReport.Throughput.median(of: runs)
    }

    /// A mount like `mount` over a cache in memory, or nil with a note saying why there is none.
    private func memoryMount(like mount: BenchMount, for rows: String, notes: inout [String]) -> BenchMount? {
        switch MemoryCacheDirectory.make(room: workspace.outputSize) {
        case .success(let directory):
            return BenchMount(
                workspace: workspace, extraArguments: mount.extraArguments,
                cacheDirectory: MemoryCacheDirectory.cache(in: directory))
        case .failure(let reason):
            notes.append("\(rows) with the cache in memory was not measured: \(reason)")
            return nil
        }
    }

    private func removeMemoryMount(_ mount: BenchMount) {
        mount.unmount()
        MemoryCacheDirectory.remove(holding: mount.cacheDirectory)
    }

    /// A cold read of `paths` on a fresh daemon, its peak memory kept under `rssKey`.
    private func coldCopy(
        _ paths: [String], on mount: BenchMount, rssKey: String, rss: inout [String: Int]
    ) throws -> BenchReport.Throughput {
        try remountCold(mount)
        let result = try BenchMeasurements.copy(paths, workspace: workspace, mount: mount)
        rss[rssKey] = max(rss[rssKey] ?? 0, mount.sampleMemory() ?? 0)
        return result
    }

    /// A fresh daemon over an empty cache.
    private func remountCold(_ mount: BenchMount) throws {
        mount.unmount()
        try? FileManager.default.removeItem(atPath: mount.cacheDirectory)
        try mount.mount()
    }

    static func machine() -> String {
        let cpu =
            (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.split(separator: "\n")
            .first { $0.hasPrefix("model name") }?.split(separator: ":").last?.trimmingCharacters(in: .whitespaces)
            ?? "?"
        return "\(ProcessInfo.processInfo.activeProcessorCount) cores, \(cpu), "
            + "\(ProcessInfo.processInfo.physicalMemory >> 30) GiB"
    }
}
