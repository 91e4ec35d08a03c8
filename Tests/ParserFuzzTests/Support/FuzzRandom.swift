/// xoshiro256** seeded through SplitMix64. Every draw goes through our own helpers rather than the
/// standard library's `random(in:using:)`, whose algorithm may change between toolchains: a seed
/// printed by a failing run must regenerate the same inputs anywhere.
struct FuzzRandom {
    private var s0, s1, s2, s3: UInt64

    init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix()
        s1 = splitMix()
        s2 = splitMix()
        s3 = splitMix()
    }

    mutating func next() -> UInt64 {
        let result = Self.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = Self.rotl(s3, 45)
        return result
    }

    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in 0..<n (multiply-high; the bias is below 2^-40 for the bounds used here).
    mutating func below(_ n: UInt64) -> UInt64 {
        precondition(n > 0)
        return next().multipliedFullWidth(by: n).high
    }

    mutating func int(_ r: Range<Int>) -> Int {
        r.lowerBound + Int(below(UInt64(r.upperBound - r.lowerBound)))
    }

    mutating func int(_ r: ClosedRange<Int>) -> Int {
        let span = UInt64(bitPattern: Int64(r.upperBound &- r.lowerBound))
        return span == .max ? Int(bitPattern: UInt(next())) : r.lowerBound &+ Int(below(span + 1))
    }

    mutating func int64(_ r: ClosedRange<Int64>) -> Int64 {
        let span = UInt64(bitPattern: r.upperBound &- r.lowerBound)
        return span == .max ? Int64(bitPattern: next()) : r.lowerBound &+ Int64(bitPattern: below(span + 1))
    }

    /// True with probability 1/n.
    mutating func oneIn(_ n: UInt64) -> Bool { below(n) == 0 }

    mutating func bool() -> Bool { next() & 1 == 1 }

    mutating func pick<T>(_ items: [T]) -> T { items[int(0 ..< items.count)] }

    mutating func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(count)
        while out.count < count {
            var w = next()
            for _ in 0 ..< min(8, count - out.count) {
                out.append(UInt8(truncatingIfNeeded: w))
                w >>= 8
            }
        }
        return out
    }

    /// Fisher–Yates with our own draws, for the same reason as above.
    mutating func shuffle<T>(_ items: inout [T]) {
        guard items.count > 1 else { return }
        for i in stride(from: items.count - 1, to: 0, by: -1) {
            items.swapAt(i, int(0 ... i))
        }
    }

    /// A value spread over all magnitudes: small numbers are as likely as huge ones.
    mutating func magnitude(maxBits: Int) -> UInt64 {
        let bits = int(0 ... maxBits)
        return bits == 0 ? 0 : next() >> UInt64(64 - bits)
    }
}
