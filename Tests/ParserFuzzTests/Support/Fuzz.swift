import Foundation
import Testing

/// Settings shared by every fuzz test. `GLACIERFS_FUZZ_ITERATIONS` scales the work (the stress
/// run sets it 10–50× higher); `GLACIERFS_FUZZ_SEED` replays the seed a failure printed. Each
/// iteration draws from its own generator, so the failing iteration a message names comes back
/// with the same seed whatever the iteration count.
enum FuzzConfig {
    static let defaultIterations = 3000
    static let defaultSeed: UInt64 = 0x676C_6163_6965_7266  // "glacierf"

    static let iterations: Int = {
        guard let text = ProcessInfo.processInfo.environment["GLACIERFS_FUZZ_ITERATIONS"],
            let n = Int(text), n > 0
        else { return defaultIterations }
        return n
    }()

    static let seed: UInt64 = {
        guard let text = ProcessInfo.processInfo.environment["GLACIERFS_FUZZ_SEED"] else { return defaultSeed }
        return text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) ?? defaultSeed : UInt64(text) ?? defaultSeed
    }()

    /// The iteration count for a test whose single execution costs `cost` ordinary ones.
    static func iterations(cost: Int) -> Int { max(1, iterations / cost) }
}

/// The counters and failure log of one fuzz test.
struct FuzzRun {
    let name: String
    let seed: UInt64
    var iteration = 0
    var executions = 0
    var rejected = 0
    private(set) var failures = 0
    private(set) var firstFailure: Int?

    /// Only the first few failures become issues: a broken model would otherwise bury the log.
    static let reportedFailures = 8

    init(name: String, seed: UInt64) {
        self.name = name
        self.seed = seed
    }

    mutating func reject() { rejected += 1 }

    /// Records a failure that names the seed, the iteration and the input, so it reproduces.
    mutating func expect(
        _ condition: Bool, _ detail: @autoclosure () -> String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard !condition else { return }
        failures += 1
        if firstFailure == nil { firstFailure = iteration }
        guard failures <= Self.reportedFailures else { return }
        let message = "fuzz \(name) failed (GLACIERFS_FUZZ_SEED=\(seed), iteration \(iteration)): \(detail())"
        print(message)
        Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
    }
}

/// Runs `body` once per iteration, each with a generator derived from the seed, the test's name and
/// the iteration number, so any one failing input can be regenerated on its own.
func fuzz(
    _ name: String, iterations: Int = FuzzConfig.iterations,
    _ body: (inout FuzzRandom, inout FuzzRun) throws -> Void
) rethrows {
    var run = FuzzRun(name: name, seed: FuzzConfig.seed)
    let nameHash = fnv1a(name)
    for i in 0 ..< iterations {
        run.iteration = i
        run.executions += 1
        var random = FuzzRandom(seed: FuzzConfig.seed ^ nameHash ^ (UInt64(i) &* 0xD6E8_FEB8_6659_FD93))
        try body(&random, &run)
    }
    print("fuzz \(name): \(run.executions) executions, \(run.rejected) rejected, seed \(run.seed)")
    if run.failures > 0 {
        print("fuzz \(name): \(run.failures) failed checks, the first at iteration \(run.firstFailure ?? -1)")
    }
}

/// A stable string hash (Swift's Hasher is seeded per process).
func fnv1a(_ s: String) -> UInt64 {
    s.utf8.reduce(0xCBF2_9CE4_8422_2325) { ($0 ^ UInt64($1)) &* 0x0100_0000_01B3 }
}

/// Shows an input with every unusual byte visible.
func show(_ s: some StringProtocol) -> String { String(s).debugDescription }

func show(_ bytes: [UInt8], limit: Int = 160) -> String {
    let hex = bytes.prefix(limit).map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    return bytes.count > limit ? "\(bytes.count) bytes: \(hex)…" : "\(bytes.count) bytes: \(hex)"
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
