import Foundation

/// Everything one `glacierfs bench` run measured, as the table and the JSON show it.
struct BenchReport: Codable, Sendable {
    struct Throughput: Codable, Sendable {
        var bytes: Int64
        var seconds: Double
        var gigabytesPerSecond: Double { seconds > 0 ? Double(bytes) / seconds / 1e9 : 0 }
        /// Bytes the service sent ÷ bytes the readers read, where the service can be asked.
        var fetchedPerRead: Double?
        /// The most GetJobOutput requests in flight at once during the measurement.
        var peakConnections: Int?
        /// GetJobOutput requests in flight on average (their summed durations over the wall time).
        var averageConnections: Double?
        /// Every run's GB/s when the measurement was repeated; this one is their median.
        var runs: [Double]?
        /// CPU-seconds (user + system) the reader spent: the daemon for reads through the mount,
        /// the bench itself for the ceilings.
        var cpuSeconds: Double?
        var cpuSecondsPerGiB: Double? { perGiB(cpuSeconds) }
        /// CPU-seconds the embedded emulator spent serving meanwhile: on the same cores as the
        /// reader, where the real service's are not.
        var emulatorCPUSeconds: Double?
        var emulatorCPUSecondsPerGiB: Double? { perGiB(emulatorCPUSeconds) }
        private func perGiB(_ seconds: Double?) -> Double? { seconds.map { $0 / (Double(bytes) / Double(1 << 30)) } }

        enum CodingKeys: String, CodingKey {
            case bytes, seconds, fetchedPerRead, peakConnections, averageConnections, gigabytesPerSecond, runs
            case cpuSeconds, cpuSecondsPerGiB, emulatorCPUSeconds, emulatorCPUSecondsPerGiB
        }

        /// The median run, carrying every run's figure: on a shared machine one run can be far off.
        static func median(of runs: [Throughput]) -> Throughput? {
            guard !runs.isEmpty else { return nil }
            var middle = runs.sorted { $0.seconds < $1.seconds }[runs.count / 2]
            if runs.count > 1 { middle.runs = runs.map(\.gigabytesPerSecond) }
            return middle
        }

        init(
            bytes: Int64, seconds: Double, fetchedPerRead: Double? = nil, peakConnections: Int? = nil,
            averageConnections: Double? = nil
        ) {
            self.bytes = bytes
            self.seconds = seconds
            self.fetchedPerRead = fetchedPerRead
            self.peakConnections = peakConnections
            self.averageConnections = averageConnections
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            bytes = try c.decode(Int64.self, forKey: .bytes)
            seconds = try c.decode(Double.self, forKey: .seconds)
            fetchedPerRead = try c.decodeIfPresent(Double.self, forKey: .fetchedPerRead)
            peakConnections = try c.decodeIfPresent(Int.self, forKey: .peakConnections)
            averageConnections = try c.decodeIfPresent(Double.self, forKey: .averageConnections)
            runs = try c.decodeIfPresent([Double].self, forKey: .runs)
            cpuSeconds = try c.decodeIfPresent(Double.self, forKey: .cpuSeconds)
            emulatorCPUSeconds = try c.decodeIfPresent(Double.self, forKey: .emulatorCPUSeconds)
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(bytes, forKey: .bytes)
            try c.encode(seconds, forKey: .seconds)
            try c.encode(gigabytesPerSecond, forKey: .gigabytesPerSecond)
            try c.encodeIfPresent(fetchedPerRead, forKey: .fetchedPerRead)
            try c.encodeIfPresent(peakConnections, forKey: .peakConnections)
            try c.encodeIfPresent(averageConnections, forKey: .averageConnections)
            try c.encodeIfPresent(runs, forKey: .runs)
            try c.encodeIfPresent(cpuSeconds, forKey: .cpuSeconds)
            try c.encodeIfPresent(cpuSecondsPerGiB, forKey: .cpuSecondsPerGiB)
            try c.encodeIfPresent(emulatorCPUSeconds, forKey: .emulatorCPUSeconds)
            try c.encodeIfPresent(emulatorCPUSecondsPerGiB, forKey: .emulatorCPUSecondsPerGiB)
        }
    }

    struct Latency: Codable, Sendable {
        var samples: Int
        var p50Microseconds: Double
        var p99Microseconds: Double

        init(_ microseconds: [Double]) {
            let sorted = microseconds.sorted()
            samples = sorted.count
            p50Microseconds = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
            p99Microseconds = sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))]
        }
    }

    /// Where the samples of cached (e) were served from, by the daemon's counters.
    struct CachedSources: Codable, Sendable {
        var blockReadsFromDisk: Int
        var leavesFromDisk: Int
        var leavesFromMemory: Int
        var leavesFetched: Int
    }

    /// A shaped link: the ceiling on it (a-WAN), and glacierfs reading through it.
    struct LinkMeasurement: Codable, Sendable {
        var name: String
        var link: BenchLink
        /// Parallel ranged GETs with --parallel-fetches connections, no FUSE, no hashing.
        var ceiling: Throughput?
        var sequential: Throughput?
        var parallelReaders: Throughput?
        /// The same cold reads with the cache in memory (tmpfs), side by side: the disk's share.
        var sequentialMemoryCache: Throughput?
        var parallelReadersMemoryCache: Throughput?
        var headRead: Latency?
        /// Bytes the service sent for each head read.
        var headReadFetchedBytes: [Int64]?
    }

    var mode: String
    var endpoint: String
    var outputBytes: Int64
    var date: String
    var machine: String
    /// The processors the daemon, the emulator and the readers share.
    var cores: Int?
    var parallelFetches: Int
    /// (a): parallel GETs, no hashing.
    var rawCeiling: Throughput?
    /// (a′): parallel GETs with every leaf hashed and checked.
    var rawCeilingHashed: Throughput?
    /// SHA-256 alone, a leaf at a time on one thread: what hashing costs every verified GiB.
    var hashAlone: Throughput?
    /// One plain `curl` of the whole output: what a user gets without glacierfs.
    var plainCurl: Throughput?
    var coldSequential: Throughput?
    /// 1 MiB direct writes to a new file beside the cache: every cold read writes what it
    /// verifies to the cache, so a disk slower than the link bounds it.
    var diskWriteSpeed: Throughput?
    var warmSequential: Throughput?
    var diskCacheAfterRemount: Throughput?
    /// The cache's data file read straight from the disk: what bounds (d).
    var diskReadCeiling: Throughput?
    /// (d) with the cache copied to tmpfs: the read path's own ceiling, without the disk.
    var diskCacheFromMemory: Throughput?
    /// Each run's (d) ÷ the mean of the disk read ceiling measured just before and just after it.
    var diskCacheRatios: [Double]?
    var pageCacheDropped: Bool?
    var randomCold: Latency?
    var randomCached: Latency?
    var randomCachedSources: CachedSources?
    var parallelReaders: Throughput?
    var links: [LinkMeasurement] = []
    var daemonPeakRSSBytes: Int?
    /// The daemon's peak memory as each measurement ended (VmHWM only grows within a mount).
    var daemonPeakRSSAfter: [String: Int] = [:]
    var notes: [String] = []

    static let leafBytes = 1 << 20
    static let inMemoryNote = "the same cold reads with the cache in memory (tmpfs), alternating with them"

    /// (d) against the disk read ceiling: the median of the runs' side-by-side ratios, or, without
    /// them, the two medians' ratio.
    var diskCacheRatio: Double? {
        if let r = diskCacheRatios, !r.isEmpty { return r.sorted()[r.count / 2] }
        return diskCacheAfterRemount.flatMap { d in
            diskReadCeiling.map { $0.gigabytesPerSecond > 0 ? d.gigabytesPerSecond / $0.gigabytesPerSecond : 0 }
        }
    }

    /// The targets of issues #7 and #13, each with whether this run met it.
    func targets() -> [(String, Bool?)] {
        let a = rawCeiling?.gigabytesPerSecond
        let b = coldSequential?.gigabytesPerSecond
        var list: [(String, Bool?)] = []
        list.append(("(b) ≥ 0.5 × (a)", a.flatMap { a in b.map { $0 >= 0.5 * a } }))
        list.append(("(b) ≥ 1.2 GB/s", b.map { $0 >= 1.2 }))
        list.append(("(b) daemon ≤ 1.1 CPU-s/GiB", coldSequential?.cpuSecondsPerGiB.map { $0 <= 1.1 }))
        list.append(("(c) ≥ 5 GB/s", warmSequential.map { $0.gigabytesPerSecond >= 5 }))
        list.append(
            (
                "(d) ≥ 0.9 × disk read ceiling",
                diskCacheRatio.map { $0 >= 0.9 }
            ))
        list.append(("(e) cached p50 ≤ 100 µs", randomCached.map { $0.p50Microseconds <= 100 }))
        for l in links {
            let ceiling = l.ceiling?.gigabytesPerSecond
            if let cap = l.link.linkBytesPerSecond {
                list.append(
                    (
                        "(g) \(l.name) sequential ≥ 0.9 × the \(cap / 1_000_000) MB/s link",
                        l.sequential.map { $0.gigabytesPerSecond * 1e9 >= 0.9 * Double(cap) }
                    ))
            } else if let s = l.sequential {
                list.append(
                    (
                        "(g) \(l.name) sequential ≥ 0.9 × (a-WAN \(l.name))",
                        ceiling.map { s.gigabytesPerSecond >= 0.9 * $0 }
                    ))
            }
            if let p = l.parallelReaders {
                list.append(
                    (
                        "(g) \(l.name) 8 readers ≥ 0.9 × (a-WAN \(l.name))",
                        ceiling.map { p.gigabytesPerSecond >= 0.9 * $0 }
                    ))
            }
            if let h = l.headRead, let fetched = l.headReadFetchedBytes {
                let budget = l.link.headReadBudgetMicroseconds(leafBytes: Self.leafBytes)
                list.append(
                    (
                        String(format: "(h) head read fetches one leaf, p50 ≤ %.0f ms (1 RTT + a leaf)", budget / 1000),
                        fetched.allSatisfy { $0 <= Int64(Self.leafBytes) } && h.p50Microseconds <= budget
                    ))
            }
        }
        list.append(("fetched ÷ read ≤ 1.05 (sequential)", coldSequential?.fetchedPerRead.map { $0 <= 1.05 }))
        list.append(("daemon RSS ≤ 300 MiB", daemonPeakRSSBytes.map { $0 <= 300 << 20 }))
        return list
    }

    /// The table printed at the end of a run.
    func table() -> String {
        let a = rawCeiling?.gigabytesPerSecond
        let curl = plainCurl?.gigabytesPerSecond
        func row(
            _ name: String, _ t: Throughput?, _ note: String = "", against: Double? = nil, label: String = "",
            coresAtRate rate: Double? = nil
        ) -> [String] {
            guard let t else { return [name, "-", "-", "-", "-", note.isEmpty ? "skipped" : note] }
            let ratio = a.map { String(format: "%.2f", t.gigabytesPerSecond / $0) } ?? "-"
            let toCurl = curl.map { String(format: "%.2f", t.gigabytesPerSecond / $0) } ?? "-"
            let cpu = t.cpuSecondsPerGiB.map { String(format: "%.2f", $0) } ?? "-"
            var extra = note
            func add(_ s: String) { extra += (extra.isEmpty ? "" : "; ") + s }
            if let runs = t.runs {
                let spread = String(format: "median of %d (%.2f–%.2f)", runs.count, runs.min() ?? 0, runs.max() ?? 0)
                extra = spread + (extra.isEmpty ? "" : "; ") + extra
            }
            if let against { add(String(format: "%.2f × %@", t.gigabytesPerSecond / against, label)) }
            if let f = t.fetchedPerRead { add(String(format: "fetched/read %.3f", f)) }
            if let c = t.averageConnections, c > 0.05 {
                add(String(format: "%.1f connections on average (peak %d)", c, t.peakConnections ?? 0))
            }
            if let e = t.emulatorCPUSecondsPerGiB { add(String(format: "emulator %.2f CPU-s/GiB", e)) }
            // What reading at the ceiling's rate would take of the machine at this cost per GiB.
            if let rate, let d = t.cpuSecondsPerGiB, let cores {
                let needed = (d + (t.emulatorCPUSecondsPerGiB ?? 0)) * rate * 1e9 / Double(1 << 30)
                add(
                    String(
                        format: "at %.2f GB/s the daemon and emulator would need %.1f of %d cores", rate, needed, cores)
                )
            }
            return [name, String(format: "%.2f", t.gigabytesPerSecond), ratio, toCurl, cpu, extra]
        }
        var t = TextTable(header: ["MEASUREMENT", "GB/s", "× (a)", "× curl", "CPU-s/GiB", "NOTES"])
        t.rows.append(
            row(
                "(a) raw HTTP ceiling", rawCeiling, "8 parallel ranged GETs over libcurl, NO hashing, no FUSE, no cache"
            ))
        t.rows.append(
            row(
                "(a′) ceiling, verified", rawCeilingHashed,
                "the same GETs with every leaf's SHA-256 and the tree hash checked: any verified reader's ceiling"))
        t.rows.append(
            row(
                "SHA-256 alone", hashAlone,
                "1 MiB at a time from memory on one thread, as the read path hashes leaves: the CPU every verified "
                    + "GiB costs before it is received or copied"))
        t.rows.append(row("plain curl", plainCurl, "one `curl` of the whole output to /dev/null, nothing verified"))
        t.rows.append(
            row(
                "(b) cold sequential (cp)", coldSequential, "verified and cached",
                against: rawCeilingHashed?.gigabytesPerSecond, label: "(a′)"))
        t.rows.append(
            row(
                "disk write speed", diskWriteSpeed,
                "a new file beside the cache, 8 × 1 MiB direct writes at a time (as a slow link's streamed leaves "
                    + "are staged), no FUSE"))
        t.rows.append(row("(c) warm (page cache)", warmSequential))
        var diskNote = pageCacheDropped == false ? "page cache NOT dropped (not root)" : "page cache dropped"
        if let ratio = diskCacheRatio {
            let each = (diskCacheRatios ?? []).map { String(format: "%.2f", $0) }.joined(separator: ", ")
            diskNote += String(format: "; %.2f × the disk read ceiling", ratio)
            if !each.isEmpty {
                diskNote += " (median of each run against the ceiling just before and after it: \(each))"
            }
        }
        t.rows.append(row("(d) disk cache after remount", diskCacheAfterRemount, diskNote))
        t.rows.append(
            row(
                "disk read ceiling", diskReadCeiling,
                "the cached file read from disk, 8 × 1 MiB direct reads at a time, no FUSE, before and after each (d)"))
        t.rows.append(
            row(
                "(d) cache in memory", diskCacheFromMemory,
                "the same remount and read with the cache copied to tmpfs, page cache dropped: FUSE, the copies "
                    + "and the read-back checks without the disk"))
        t.rows.append(row("(f) 8 readers, 8 outputs", parallelReaders))
        for l in links {
            t.rows.append(
                row(
                    "(a-WAN \(l.name)) ceiling", l.ceiling,
                    "\(l.link.label); \(parallelFetches) parallel ranged GETs of 16 MiB, no hashing, no FUSE"))
            let linkRate = l.link.linkBytesPerSecond.map { Double($0) / 1e9 }
            t.rows.append(
                row(
                    "(g \(l.name)) WAN sequential", l.sequential, l.link.label,
                    against: linkRate ?? l.ceiling?.gigabytesPerSecond,
                    label: linkRate == nil ? "(a-WAN \(l.name))" : "the link",
                    coresAtRate: linkRate ?? l.ceiling?.gigabytesPerSecond))
            // The reads set against this link's ceiling, and what that rate would take of the cores.
            let ceiling = l.ceiling?.gigabytesPerSecond
            let againstCeiling: [(String, Throughput?, String)] = [
                ("WAN 8 readers", l.parallelReaders, l.link.label),
                ("sequential, in memory", l.sequentialMemoryCache, Self.inMemoryNote),
                ("8 readers, in memory", l.parallelReadersMemoryCache, Self.inMemoryNote),
            ]
            for (name, measured, note) in againstCeiling where measured != nil {
                t.rows.append(
                    row(
                        "(g \(l.name)) \(name)", measured, note, against: ceiling, label: "(a-WAN \(l.name))",
                        coresAtRate: ceiling))
            }
        }
        var lines = [t.render(), ""]
        if let c = randomCold, let w = randomCached {
            lines.append(
                String(
                    format:
                        "(e) random 4 KiB reads: cold p50 %.0f µs, p99 %.0f µs; cached (disk cache, after a remount, page cache dropped) p50 %.0f µs, p99 %.0f µs (%d samples)",
                    c.p50Microseconds, c.p99Microseconds, w.p50Microseconds, w.p99Microseconds, w.samples))
            if let s = randomCachedSources {
                lines.append(
                    "    cached samples served by: \(s.blockReadsFromDisk) block reads from the disk cache, "
                        + "\(s.leavesFromDisk) whole leaves from the disk cache, \(s.leavesFromMemory) leaves from memory, "
                        + "\(s.leavesFetched) leaves fetched")
            }
        }
        for l in links {
            if let h = l.headRead, let fetched = l.headReadFetchedBytes {
                let leaves = fetched.map { String(format: "%.2f", Double($0) / Double(Self.leafBytes)) }.joined(
                    separator: " ")
                lines.append(
                    String(
                        format:
                            "(h %@) head read (4 KiB) of a cold output: p50 %.1f ms, p99 %.1f ms (%d outputs); leaves fetched each: %@",
                        l.name, h.p50Microseconds / 1000, h.p99Microseconds / 1000, h.samples, leaves))
            }
        }
        if let rss = daemonPeakRSSBytes {
            let phases = daemonPeakRSSAfter.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value >> 20)" }.joined(
                separator: ", ")
            lines.append("daemon peak RSS: \(rss >> 20) MiB over the whole run (MiB by measurement: \(phases))")
        }
        lines.append("")
        lines.append("TARGETS")
        for (name, met) in targets() {
            lines.append("  \(met == nil ? "n/a " : met! ? "met " : "MISS") \(name)")
        }
        for note in notes { lines.append("note: \(note)") }
        return lines.joined(separator: "\n")
    }
}
