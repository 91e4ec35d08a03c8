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

        enum CodingKeys: String, CodingKey {
            case bytes, seconds, fetchedPerRead, peakConnections, averageConnections, gigabytesPerSecond, runs
        }

        /// The median run, carrying every run's figure: on a shared machine one run can be far off.
        static func median(of runs: [Throughput]) -> Throughput? {
            guard !runs.isEmpty else { return nil }
            var middle = runs.sorted { $0.seconds < $1.seconds }[runs.count / 2]
            if runs.count > 1 { middle.runs = runs.map(\.gigabytesPerSecond) }
            return middle
        }

        init(bytes: Int64, seconds: Double, fetchedPerRead: Double? = nil, peakConnections: Int? = nil,
             averageConnections: Double? = nil) {
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

    var mode: String
    var endpoint: String
    var outputBytes: Int64
    var date: String
    var machine: String
    var rawCeiling: Throughput?
    /// One plain `curl` of the whole output: what a user gets without glacierfs.
    var plainCurl: Throughput?
    var coldSequential: Throughput?
    var warmSequential: Throughput?
    var diskCacheAfterRemount: Throughput?
    /// The cache's data file read straight from the disk: what bounds (d).
    var diskReadCeiling: Throughput?
    var pageCacheDropped: Bool?
    var randomCold: Latency?
    var randomCached: Latency?
    var parallelReaders: Throughput?
    var wanSequential: Throughput?
    var wanParallel: Throughput?
    var wanPerConnectionBytesPerSecond: Int64?
    var wanFirstByteLatencyMs: Int?
    var daemonPeakRSSBytes: Int?
    /// The daemon's peak memory as each measurement ended (VmHWM only grows within a mount).
    var daemonPeakRSSAfter: [String: Int] = [:]
    var notes: [String] = []

    /// The targets of issue #7, each with whether this run met it.
    func targets() -> [(String, Bool?)] {
        let a = rawCeiling?.gigabytesPerSecond
        let b = coldSequential?.gigabytesPerSecond
        var list: [(String, Bool?)] = []
        list.append(("(b) ≥ 0.5 × (a)", a.flatMap { a in b.map { $0 >= 0.5 * a } }))
        list.append(("(b) ≥ 1.2 GB/s", b.map { $0 >= 1.2 }))
        list.append(("(c) ≥ 5 GB/s", warmSequential.map { $0.gigabytesPerSecond >= 5 }))
        list.append(("(d) ≥ 1.5 GB/s", diskCacheAfterRemount.map { $0.gigabytesPerSecond >= 1.5 }))
        list.append(("(e) cached p50 ≤ 100 µs", randomCached.map { $0.p50Microseconds <= 100 }))
        if let g = wanSequential, let cap = wanPerConnectionBytesPerSecond, let n = g.averageConnections {
            list.append((String(format: "(g) sequential ≥ 80 %% of %.1f connections × %d MB/s", n, Int(cap / 1_000_000)),
                         g.bytes > 0 ? Double(g.bytes) / g.seconds >= 0.8 * n * Double(cap) : nil))
        }
        list.append(("fetched ÷ read ≤ 1.05 (sequential)", coldSequential?.fetchedPerRead.map { $0 <= 1.05 }))
        list.append(("daemon RSS ≤ 300 MiB", daemonPeakRSSBytes.map { $0 <= 300 << 20 }))
        return list
    }

    /// The table printed at the end of a run.
    func table() -> String {
        let a = rawCeiling?.gigabytesPerSecond
        let curl = plainCurl?.gigabytesPerSecond
        func row(_ name: String, _ t: Throughput?, _ note: String = "") -> [String] {
            guard let t else { return [name, "-", "-", "-", note.isEmpty ? "skipped" : note] }
            let ratio = a.map { String(format: "%.2f", t.gigabytesPerSecond / $0) } ?? "-"
            let toCurl = curl.map { String(format: "%.2f", t.gigabytesPerSecond / $0) } ?? "-"
            var extra = note
            if let runs = t.runs {
                let spread = String(format: "median of %d (%.2f–%.2f)", runs.count, runs.min() ?? 0, runs.max() ?? 0)
                extra = spread + (extra.isEmpty ? "" : "; ") + extra
            }
            if let f = t.fetchedPerRead { extra += (extra.isEmpty ? "" : "; ") + String(format: "fetched/read %.3f", f) }
            if let c = t.averageConnections, c > 0.05 {
                extra += (extra.isEmpty ? "" : "; ") + String(format: "%.1f connections on average (peak %d)", c, t.peakConnections ?? 0)
            }
            return [name, String(format: "%.2f", t.gigabytesPerSecond), ratio, toCurl, extra]
        }
        var t = TextTable(header: ["MEASUREMENT", "GB/s", "× (a)", "× curl", "NOTES"])
        t.rows.append(row("(a) raw HTTP ceiling", rawCeiling, "parallel ranged GETs over libcurl, no FUSE, no cache"))
        t.rows.append(row("plain curl", plainCurl, "one `curl` of the whole output to /dev/null, nothing verified"))
        t.rows.append(row("(b) cold sequential (cp)", coldSequential, "verified and cached"))
        t.rows.append(row("(c) warm (page cache)", warmSequential))
        var diskNote = pageCacheDropped == false ? "page cache NOT dropped (not root)" : "page cache dropped"
        if let d = diskCacheAfterRemount, let disk = diskReadCeiling {
            diskNote += String(format: "; %.2f × the disk's own read speed", d.gigabytesPerSecond / disk.gigabytesPerSecond)
        }
        t.rows.append(row("(d) disk cache after remount", diskCacheAfterRemount, diskNote))
        t.rows.append(row("disk read ceiling", diskReadCeiling, "the cached file read from disk, 8 × 1 MiB direct reads at a time, no FUSE"))
        t.rows.append(row("(f) 8 readers, 8 outputs", parallelReaders))
        let wan = wanPerConnectionBytesPerSecond.map { "WAN: \(wanFirstByteLatencyMs ?? 0) ms, \($0 / 1_000_000) MB/s per connection" } ?? ""
        t.rows.append(row("(g) WAN sequential", wanSequential, wan))
        t.rows.append(row("(g) WAN 8 readers", wanParallel, wan))
        var lines = [t.render(), ""]
        if let c = randomCold, let w = randomCached {
            lines.append(String(format: "(e) random 4 KiB reads: cold p50 %.0f µs, p99 %.0f µs; cached p50 %.0f µs, p99 %.0f µs (%d samples)",
                                c.p50Microseconds, c.p99Microseconds, w.p50Microseconds, w.p99Microseconds, w.samples))
        }
        if let rss = daemonPeakRSSBytes {
            let phases = daemonPeakRSSAfter.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value >> 20)" }.joined(separator: ", ")
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
