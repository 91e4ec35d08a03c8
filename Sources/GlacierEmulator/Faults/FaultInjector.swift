import Synchronization

/// Draws faults for responses from the current settings and counts every one injected.
final class FaultInjector: Sendable {
    private struct State {
        var settings: FaultSettings
        var generator: SplitMix64
        var counters = FaultCounters()
    }

    private let state: Mutex<State>

    init(settings: FaultSettings) {
        state = Mutex(State(settings: settings, generator: SplitMix64(seed: settings.seed)))
    }

    /// Replaces the settings and restarts the generator from their seed. Counters are kept.
    func update(_ settings: FaultSettings) {
        state.withLock {
            $0.settings = settings
            $0.generator = SplitMix64(seed: settings.seed)
        }
    }

    var settings: FaultSettings { state.withLock { $0.settings } }

    var counters: FaultCounters { state.withLock { $0.counters } }

    func resetCounters() { state.withLock { $0.counters = FaultCounters() } }

    /// The fault for one response to `operation`, with a seed for its details (which bytes, where
    /// to cut), or nil. Nothing is counted yet: a fault is counted when it is actually applied.
    func draw(operation: String) -> FaultPlan? {
        state.withLock { s in
            guard s.settings.isActive, s.settings.operations.contains(operation) else { return nil }
            let u = Double(s.generator.next() >> 11) / Double(1 << 53)
            var edge = 0.0
            for kind in FaultKind.allCases {
                edge += s.settings.rates[kind] ?? 0
                if u < edge { return FaultPlan(kind: kind, detailSeed: s.generator.next()) }
            }
            if s.settings.hasBodyDamage {
                return FaultPlan(
                    kind: .flip, detailSeed: s.generator.next(),
                    bodyDamage: (s.settings.damagePer64KiB, s.settings.resetPerMiB))
            }
            return nil
        }
    }

    func count(_ kind: FaultKind) {
        state.withLock { $0.counters.counts[kind, default: 0] += 1 }
    }
}

/// A fault chosen for one response, with its own generator for the details.
struct FaultPlan: Sendable {
    let kind: FaultKind
    let detailSeed: UInt64
    /// Per-byte rates (damage per 64 KiB, resets per MiB) when the fault is drawn along the body
    /// rather than once for the response.
    var bodyDamage: (per64KiB: Double, resetPerMiB: Double)?

    /// A generator for this fault's details (offsets, byte counts).
    func detailGenerator() -> SplitMix64 { SplitMix64(seed: detailSeed) }
}
