import NIOCore

/// Keeps a body at or under a byte rate by sleeping between chunks.
struct Pacer {
    let bytesPerSecond: Int64
    let start = ContinuousClock.now

    /// About 20 chunks a second, between 1 KiB and 1 MiB each.
    var chunkSize: Int { Int(min(max(bytesPerSecond / 20, 1024), 1 << 20)) }

    func wait(afterSending sent: Int64, on loop: any EventLoop) async {
        try? await EmulatorExecutor.sleep(until: start + .seconds(Double(sent) / Double(bytesPerSecond)), on: loop)
    }
}
