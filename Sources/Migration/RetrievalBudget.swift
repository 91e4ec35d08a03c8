/// The daily retrieval cap, spent at a steady pace: at most `bytesPerDay` started in any 24 hours,
/// and at most a 24th of it in any hour, so a day's budget is spread over the day rather than
/// spent in its first minute. Times are the service's clock, in seconds.
public struct RetrievalBudget: Sendable {
    public let bytesPerDay: Int64?

    static let day = 86_400.0
    static let hour = 3_600.0

    public init(bytesPerDay: Int64?) { self.bytesPerDay = bytesPerDay }

    /// Whether the archive can ever start: no single archive may exceed the daily cap.
    public func fits(size: Int64) -> Bool { bytesPerDay.map { size <= $0 } ?? true }

    /// The most bytes that may start within one hour (an archive larger than that starts alone).
    var hourly: Int64? { bytesPerDay.map { max(1, $0 / 24) } }

    /// Whether `size` bytes may start at `now`, given the charges so far.
    public func allows(size: Int64, now: Double, charges: [(bytes: Int64, at: Double)]) -> Bool {
        guard let cap = bytesPerDay, let hourly else { return true }
        var lastDay: Int64 = 0
        var lastHour: Int64 = 0
        for c in charges where c.at > now - Self.day {
            lastDay += c.bytes
            if c.at > now - Self.hour { lastHour += c.bytes }
        }
        return lastDay + size <= cap && lastHour + size <= max(hourly, size)
    }

    /// The earliest time at or after `now` when `size` bytes may start (charges only age out).
    public func nextStart(size: Int64, now: Double, charges: [(bytes: Int64, at: Double)]) -> Double? {
        guard fits(size: size) else { return nil }
        if allows(size: size, now: now, charges: charges) { return now }
        let candidates = charges.flatMap { [$0.at + Self.hour, $0.at + Self.day] }.filter { $0 > now }.sorted()
        return candidates.first { allows(size: size, now: $0 + 0.001, charges: charges) }.map { $0 + 0.001 }
    }
}
