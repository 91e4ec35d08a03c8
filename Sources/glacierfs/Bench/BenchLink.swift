/// One way the emulator shapes the link for a WAN measurement: the wait before each response's
/// first byte, each connection's bandwidth, and optionally a cap on the link all connections
/// share.
struct BenchLink: Codable, Sendable {
    var firstByteLatencyMs: Int
    var bytesPerSecondPerConnection: Int64
    var linkBytesPerSecond: Int64?

    var label: String {
        var s = "\(firstByteLatencyMs) ms, \(bytesPerSecondPerConnection / 1_000_000) MB/s per connection"
        if let link = linkBytesPerSecond { s += ", \(link / 1_000_000) MB/s link" }
        return s
    }

    /// The longest a head read may take: one round trip (the first-byte wait) and one leaf at a
    /// connection's rate, in microseconds.
    func headReadBudgetMicroseconds(leafBytes: Int) -> Double {
        let rate = Double(min(bytesPerSecondPerConnection, linkBytesPerSecond ?? .max))
        return Double(firstByteLatencyMs) * 1000 + Double(leafBytes) / rate * 1e6
    }
}
