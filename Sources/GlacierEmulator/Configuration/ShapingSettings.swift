/// WAN-like shaping: a delay before the first byte of every API response, a per-connection
/// bandwidth cap on response bodies, and a cap on the link they all share. There is no `tc netem`
/// on the machines this runs on, so the emulator shapes its own output.
public struct ShapingSettings: Sendable, Equatable, Codable {
    /// Milliseconds to wait before the first byte of each response.
    public var firstByteLatencyMs: Int
    /// Body bytes per second per connection; nil means unlimited.
    public var bytesPerSecondPerConnection: Int64?
    /// Body bytes per second of all connections together (one link shared by all); nil means
    /// unlimited.
    public var linkBytesPerSecond: Int64?
    /// How far each response's per-connection rate strays from `bytesPerSecondPerConnection`, in
    /// percent either way (drawn afresh for each response): on a real WAN some connections run
    /// at half the speed of others.
    public var rateSpreadPercent: Int

    public init(
        firstByteLatencyMs: Int = 0, bytesPerSecondPerConnection: Int64? = nil, linkBytesPerSecond: Int64? = nil,
        rateSpreadPercent: Int = 0
    ) {
        self.firstByteLatencyMs = firstByteLatencyMs
        self.bytesPerSecondPerConnection = bytesPerSecondPerConnection
        self.linkBytesPerSecond = linkBytesPerSecond
        self.rateSpreadPercent = rateSpreadPercent
    }

    /// The per-connection rate of one response, with its spread drawn.
    func connectionRate() -> Int64? {
        guard let rate = bytesPerSecondPerConnection, rateSpreadPercent > 0 else { return bytesPerSecondPerConnection }
        let spread = Double(rateSpreadPercent) / 100
        return max(1, Int64(Double(rate) * Double.random(in: (1 - spread) ... (1 + spread))))
    }

    public static let none = ShapingSettings()

    public var isActive: Bool {
        firstByteLatencyMs > 0 || bytesPerSecondPerConnection != nil || linkBytesPerSecond != nil
    }

    func validate() throws(ConfigurationError) {
        guard (0 ... 60_000).contains(firstByteLatencyMs) else {
            throw .invalid("firstByteLatencyMs must be between 0 and 60000")
        }
        if let rate = bytesPerSecondPerConnection, rate < 1 {
            throw .invalid("bytesPerSecondPerConnection must be at least 1 (or absent for no cap)")
        }
        if let rate = linkBytesPerSecond, rate < 1 {
            throw .invalid("linkBytesPerSecond must be at least 1 (or absent for no cap)")
        }
        guard (0 ... 90).contains(rateSpreadPercent) else {
            throw .invalid("rateSpreadPercent (--rate-spread) must be between 0 and 90")
        }
    }
}
