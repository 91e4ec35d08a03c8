/// Which faults to inject, how often and into which operations.
///
/// Each response to a listed operation draws one number in [0, 1) from a generator seeded with
/// `seed`; the kinds take consecutive slices of that interval, in `FaultKind.allCases` order, each as
/// wide as its rate. So at most one fault is chosen per response, the rates must add up to at most 1,
/// and the same seed and request sequence give the same faults. A chosen kind that cannot apply to
/// that response (a checksum fault where no checksum is sent, a body fault on an empty body) injects
/// nothing and is not counted.
public struct FaultSettings: Sendable, Equatable {
    public var rates: [FaultKind: Double]
    public var seed: UInt64
    /// Operation names as in the API model, e.g. `GetJobOutput`.
    public var operations: Set<String>
    /// Damage that grows with the bytes sent, as on a real link: each 64 KiB of a body that no
    /// per-response fault spoiled has one byte flipped with this probability...
    public var damagePer64KiB: Double
    /// ...and each MiB sent ends in a connection reset (at a random point in it) with this one.
    public var resetPerMiB: Double

    public init(
        rates: [FaultKind: Double] = [:], seed: UInt64 = 0, operations: Set<String> = ["GetJobOutput"],
        damagePer64KiB: Double = 0, resetPerMiB: Double = 0
    ) {
        self.rates = rates
        self.seed = seed
        self.operations = operations
        self.damagePer64KiB = damagePer64KiB
        self.resetPerMiB = resetPerMiB
    }

    public static let none = FaultSettings()

    public var isActive: Bool { rates.values.contains { $0 > 0 } || hasBodyDamage }

    /// Whether faults are drawn per byte sent.
    public var hasBodyDamage: Bool { damagePer64KiB > 0 || resetPerMiB > 0 }

    func validate() throws(ConfigurationError) {
        for (kind, rate) in rates where !(rate >= 0 && rate <= 1) {
            throw .invalid("the rate of \(kind.rawValue) must be between 0 and 1, not \(rate)")
        }
        let sum = rates.values.reduce(0, +)
        guard sum <= 1.000_000_1 else {
            throw .invalid(
                "fault rates add up to \(sum); at most one fault is injected per response, "
                    + "so the sum must be at most 1")
        }
        for (name, rate) in [("damagePer64KiB", damagePer64KiB), ("resetPerMiB", resetPerMiB)]
        where !(rate >= 0 && rate <= 1) {
            throw .invalid("\(name) must be between 0 and 1, not \(rate)")
        }
        for name in operations where !GlacierOperation.allNames.contains(name) {
            let known = GlacierOperation.allNames.sorted().joined(separator: ", ")
            throw .invalid("unknown operation '\(name)'; expected one of \(known)")
        }
    }

    /// Parses the command-line form `flip=0.1,truncate=0.05`.
    public static func parseRates(_ text: String) throws(ConfigurationError) -> [FaultKind: Double] {
        var rates: [FaultKind: Double] = [:]
        for item in text.split(separator: ",") where !item.isEmpty {
            let kv = item.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, let kind = FaultKind(rawValue: String(kv[0])) else {
                let kinds = FaultKind.allCases.map(\.rawValue).joined(separator: ", ")
                throw .invalid("'\(item)' is not kind=rate; kinds are \(kinds)")
            }
            guard let rate = Double(kv[1]), rate >= 0, rate <= 1 else {
                throw .invalid("the rate in '\(item)' must be a number between 0 and 1")
            }
            rates[kind] = rate
        }
        return rates
    }
}

/// How many faults of each kind have been injected.
public struct FaultCounters: Sendable, Equatable, CustomStringConvertible {
    public var counts: [FaultKind: Int]

    public init(counts: [FaultKind: Int] = [:]) { self.counts = counts }

    public subscript(kind: FaultKind) -> Int { counts[kind] ?? 0 }

    public var total: Int { counts.values.reduce(0, +) }

    public var description: String {
        FaultKind.allCases.map { "\($0.rawValue)=\(self[$0])" }.joined(separator: " ")
    }
}
