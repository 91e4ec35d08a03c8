import GlacierIntegrity
import GlacierModel

/// What a fault does to one response.
enum FaultEffect {
    /// Headers were altered in place (wrong checksum, bad Content-Range).
    case headers
    /// Send `at` body bytes, then close the connection (with an RST when `reset`).
    case cut(at: Int64, reset: Bool)
    /// XOR each listed body offset (all distinct) with a non-zero mask.
    case flip([(offset: Int64, mask: UInt8)])
    /// Damage drawn along the body: flips, and possibly a reset after `cutAt` bytes.
    case damage(flips: [(offset: Int64, mask: UInt8)], cutAt: Int64?)
}

extension FaultPlan {
    /// Applies header faults to `response` and returns the effect, or nil when this kind cannot
    /// apply to this response (then nothing is injected or counted).
    func apply(to response: inout HTTPResponse) -> FaultEffect? {
        var rng = detailGenerator()
        let length = response.body.length
        if let rates = bodyDamage { return Self.drawDamage(length: length, rates: rates, rng: &rng) }
        switch kind {
        case .unavailable, .throttle, .insufficientCapacity, .policyEnforced:
            return nil  // these replace the answer, before the operation runs
        case .wrongChecksum:
            guard let real = response.headers.first(name: GlacierProtocol.Header.treeHash) else { return nil }
            response.headers.replaceOrAdd(name: GlacierProtocol.Header.treeHash, value: SHA256.hash(real + "!").hex)
            return .headers
        case .badContentRange:
            guard let header = response.headers.first(name: "Content-Range"),
                let parsed = ContentRange(header: header)
            else { return nil }
            // Shift the range (and total) by one: well formed, but not what was asked or sent.
            let shifted = ContentRange(
                range: InclusiveByteRange(first: parsed.range.first + 1, last: parsed.range.last + 1)!,
                total: parsed.total.map { $0 + 1 })
            response.headers.replaceOrAdd(name: "Content-Range", value: shifted.header)
            return .headers
        case .flip:
            guard length > 0 else { return nil }
            var offsets = Set<Int64>()
            let wanted = min(length, Int64(1 + rng.next() % 3))
            while offsets.count < wanted { offsets.insert(Int64(rng.next() % UInt64(length))) }
            return .flip(offsets.sorted().map { ($0, UInt8(1 + rng.next() % 255)) })
        case .truncate:
            guard length > 0 else { return nil }
            return .cut(at: Int64(rng.next() % UInt64(length)), reset: false)
        case .reset:
            return .cut(at: length > 0 ? Int64(rng.next() % UInt64(length)) : 0, reset: true)
        }
    }

    /// Walks the body: each 64 KiB chunk may get one flipped byte, each MiB may end in a reset
    /// at a random point within it. Nil when nothing was drawn.
    private static func drawDamage(
        length: Int64, rates: (per64KiB: Double, resetPerMiB: Double),
        rng: inout SplitMix64
    ) -> FaultEffect? {
        func chance(_ p: Double) -> Bool { p > 0 && Double(rng.next() >> 11) / Double(1 << 53) < p }
        let chunk: Int64 = 64 << 10, mib: Int64 = 1 << 20
        var cutAt: Int64?
        var at: Int64 = 0
        while at < length, cutAt == nil {
            let span = min(mib, length - at)
            if chance(rates.resetPerMiB) { cutAt = at + Int64(rng.next() % UInt64(span)) }
            at += span
        }
        var flips: [(offset: Int64, mask: UInt8)] = []
        var c: Int64 = 0
        while c < (cutAt ?? length) {
            let span = min(chunk, length - c)
            if chance(rates.per64KiB) {
                flips.append((c + Int64(rng.next() % UInt64(span)), UInt8(1 + rng.next() % 255)))
            }
            c += span
        }
        if flips.isEmpty && cutAt == nil { return nil }
        return .damage(flips: flips, cutAt: cutAt)
    }
}
