import Foundation

/// Runs the measurements in order, on one workspace, so the ratios compare like with like.
struct BenchRunner {
    let workspace: BenchWorkspace
    let progress: ProgressDisplay
    let randomReads: Int
    let wanLatencyMs: Int
    let wanBandwidth: Int64
    let mountOptions: [String]
    /// How many times (a), the curl baseline, (b) and (d) are measured.
    let runs: Int

    func run() throws -> BenchReport {
        let w = workspace
        var report = BenchReport(mode: w.emulatorPid == nil ? "existing vault" : "embedded emulator", endpoint: w.endpoint,
                                 outputBytes: w.outputSize, date: ISO8601DateFormatter().string(from: Date()),
                                 machine: Self.machine())
        let mount = BenchMount(workspace: w, extraArguments: mountOptions.flatMap { $0.split(separator: "=", maxSplits: 1).map(String.init) })

        // (a), the curl baseline and (b) alternate, run after run, so a slow spell of the machine
        // weighs on all of them alike; each figure is the median of its runs.
        var raw: [BenchReport.Throughput] = [], curl: [BenchReport.Throughput] = [], cold: [BenchReport.Throughput] = []
        let sequential = w.outputPath(w.sequentialJob)
        defer { mount.unmount() }
        for run in 1 ... runs {
            progress.update("(a) raw HTTP ceiling, run \(run) of \(runs)")
            raw.append(try BenchMeasurements.rawCeiling(w))
            progress.update("plain curl of the output, run \(run) of \(runs)")
            do { curl.append(try PlainCurlBaseline.measure(w)) } catch {
                if run == 1 { report.notes.append("the plain-curl baseline did not run: \(error)") }
            }
            progress.update("(b) cold sequential read, run \(run) of \(runs)")
            if run > 1 {
                mount.unmount()
                try? FileManager.default.removeItem(atPath: w.cacheDirectory)  // cold again
            }
            try mount.mount()
            cold.append(try BenchMeasurements.copy([sequential], workspace: w, mount: mount))
        }
        report.rawCeiling = BenchReport.Throughput.median(of: raw)
        report.plainCurl = BenchReport.Throughput.median(of: curl)
        report.coldSequential = BenchReport.Throughput.median(of: cold)
        report.daemonPeakRSSAfter["b"] = mount.sampleMemory()
        progress.update("(c) warm read")
        // The best of three: one figure of a tenth of a second is at the mercy of the scheduler.
        report.warmSequential = try (0..<3).map { _ in try BenchMeasurements.copy([sequential], workspace: w, mount: mount) }
            .min { $0.seconds < $1.seconds }

        var fromDisk: [BenchReport.Throughput] = [], disk: [BenchReport.Throughput] = []
        for run in 1 ... runs {
            progress.update("(d) disk cache after a remount, run \(run) of \(runs)")
            mount.unmount()
            report.pageCacheDropped = BenchMount.dropPageCache()
            try mount.mount()
            fromDisk.append(try BenchMeasurements.copy([sequential], workspace: w, mount: mount))
            guard report.pageCacheDropped == true else { continue }
            progress.update("the disk's own read speed, run \(run) of \(runs)")
            _ = BenchMount.dropPageCache()
            do {
                disk.append(try DiskReadCeiling.measure(cacheDirectory: w.cacheDirectory, jobId: w.sequentialJob))
            } catch {
                if run == 1 { report.notes.append("the disk read ceiling was not measured: \(error)") }
            }
        }
        report.diskCacheAfterRemount = BenchReport.Throughput.median(of: fromDisk)
        report.diskReadCeiling = BenchReport.Throughput.median(of: disk)
        report.daemonPeakRSSAfter["d"] = mount.sampleMemory()

        progress.update("(e) random 4 KiB reads")
        let random = w.outputPath(w.randomJob)
        var generator = SystemRandomNumberGenerator()
        let offsets = (0..<randomReads).map { _ in Int64.random(in: 0..<(w.outputSize / 4096), using: &generator) * 4096 }
        report.randomCold = BenchReport.Latency(try BenchMeasurements.randomReads(random, offsets: offsets))
        _ = BenchMount.dropPageCache()
        report.randomCached = BenchReport.Latency(try BenchMeasurements.randomReads(random, offsets: offsets))
        report.daemonPeakRSSAfter["e"] = mount.sampleMemory()

        if w.parallelJobs.count >= 1 {
            progress.update("(f) \(w.parallelJobs.count) readers on \(w.parallelJobs.count) outputs")
            report.parallelReaders = try BenchMeasurements.copy(w.parallelJobs.map(w.outputPath), workspace: w, mount: mount)
            report.daemonPeakRSSAfter["f"] = mount.sampleMemory()
        }

        if w.emulatorPid != nil {
            progress.update("(g) WAN-shaped reads")
            try w.setShaping(latencyMs: wanLatencyMs, bytesPerSecond: wanBandwidth)
            report.wanFirstByteLatencyMs = wanLatencyMs
            report.wanPerConnectionBytesPerSecond = wanBandwidth
            // A fresh mount, so the peak connection count belongs to this measurement alone.
            mount.unmount()
            try mount.mount()
            report.wanSequential = try BenchMeasurements.copy([w.outputPath(w.wanSequentialJob)], workspace: w, mount: mount)
            report.daemonPeakRSSAfter["g-sequential"] = mount.sampleMemory()
            mount.unmount()
            try mount.mount()
            report.wanParallel = try BenchMeasurements.copy(w.wanParallelJobs.map(w.outputPath), workspace: w, mount: mount)
            report.daemonPeakRSSAfter["g-parallel"] = mount.sampleMemory()
            try w.setShaping(latencyMs: 0, bytesPerSecond: nil)
        } else {
            report.notes.append("(g) runs only against the embedded emulator, which shapes the link")
        }
        mount.sampleMemory()
        report.daemonPeakRSSBytes = BenchMount.peakRSS.peak
        if report.pageCacheDropped == false {
            report.notes.append("not root: the page cache could not be dropped, so (d) and cached (e) may read memory")
        }
        return report
    }

    static func machine() -> String {
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.split(separator: "\n")
            .first { $0.hasPrefix("model name") }?.split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "?"
        return "\(ProcessInfo.processInfo.activeProcessorCount) cores, \(cpu), "
            + "\(ProcessInfo.processInfo.physicalMemory >> 30) GiB"
    }
}
