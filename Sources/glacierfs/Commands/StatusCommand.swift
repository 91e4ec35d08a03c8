import ArgumentParser
import Foundation
import GlacierFileSystem

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a mount's transfer rates, and what it has cached and verified.")

    @Argument(help: "The mountpoint.")
    var mountpoint: String

    @Option(help: "Seconds between the two samples the rates come from.")
    var interval: Double = 1

    @Flag(help: "Print the raw status document as JSON.")
    var json = false

    func run() throws {
        let target = URL(fileURLWithPath: mountpoint).standardizedFileURL.path
        guard let first = StatusReader.read(mountpoint: target) else {
            throw UserFacingError(
                "\(target) is not a glacierfs mount (no status attribute).", exitCode: GlacierExit.mountpoint)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(first), as: UTF8.self))
            return
        }
        usleep(useconds_t(interval * 1e6))
        let second = StatusReader.read(mountpoint: target) ?? first
        print(StatusReport(previous: first, current: second, mountpoint: target).text)
    }
}

/// Formats two status samples for people.
struct StatusReport {
    let previous: FileSystemStatus
    let current: FileSystemStatus
    let mountpoint: String

    var text: String {
        let seconds = max(0.001, current.sampledAt - previous.sampledAt)
        let inRate = Double(current.serviceBytesReceived - previous.serviceBytesReceived) / seconds
        let outRate = Double(current.reads.bytesServed - previous.reads.bytesServed) / seconds
        let r = current.reads
        var lines = [
            "glacierfs at \(mountpoint) (pid \(current.pid)), endpoint \(current.endpoint)\(current.offline ? " — OFFLINE" : "")",
            String(
                format: "rates:  %@/s from the service, %@/s to readers (over %.1f s)",
                ByteSize.format(Int64(inRate)), ByteSize.format(Int64(outRate)), seconds),
            "totals: fetched \(ByteSize.format(Int64(r.bytesFetched))) in \(r.leavesFetched) leaves, served "
                + "\(ByteSize.format(Int64(r.bytesServed))); leaves from memory \(r.leavesFromMemory), from disk "
                + "\(r.leavesFromDisk); retries \(current.serviceRetries); failed fetches \(r.fetchFailures); failed reads \(r.readsFailed)",
            "memory: \(ByteSize.format(Int64(current.memoryBytes))) (peak \(ByteSize.format(Int64(current.memoryPeakBytes)))), "
                + "\(current.openHandles) open handles"
                + (r.prefetchedLeavesDroppedUnread > 0
                    ? "; \(r.prefetchedLeavesDroppedUnread) prefetched leaves dropped before use (a larger --memory-limit avoids refetching them)"
                    : ""),
            "cache:  \(current.cache.directory): \(ByteSize.format(current.cache.usedBytes)) of "
                + "\(ByteSize.format(current.cache.maxBytes)), \(ByteSize.format(current.cache.freeDiskBytes)) free on disk; "
                + "evictions \(current.cache.evictions), corrupt leaves dropped \(current.cache.corruptLeavesDropped)",
        ]
        if !current.cache.outputs.isEmpty {
            var table = TextTable(header: ["VAULT", "JOB", "SIZE", "CACHED", "VERIFIED"])
            for o in current.cache.outputs.sorted(by: { $0.lastAccess > $1.lastAccess }) {
                table.rows.append([
                    o.key.vault, CacheStatusCommand.shortId(o.key.jobId), ByteSize.format(o.size),
                    ByteSize.format(o.cachedBytes), o.verificationSummary,
                ])
            }
            lines.append("")
            lines.append(table.render())
        }
        return lines.joined(separator: "\n")
    }
}
