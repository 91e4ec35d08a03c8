/// An inclusive byte range as Glacier writes it: `S-E` in RetrievalByteRange and RangeInBytes,
/// `bytes=S-E` in Range, and `bytes S-E/T` in Content-Range.
public struct InclusiveByteRange: Hashable, Sendable, CustomStringConvertible {
    public let first: Int64
    public let last: Int64

    public init?(first: Int64, last: Int64) {
        guard first >= 0, last >= first else { return nil }
        self.first = first
        self.last = last
    }

    /// Parses `S-E` with two non-negative decimal integers and S ≤ E. Rejects signs, spaces,
    /// overflow and open ends.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let a = Self.parseDecimal(parts[0]), let b = Self.parseDecimal(parts[1]) else {
            return nil
        }
        self.init(first: a, last: b)
    }

    public var length: Int64 { last - first + 1 }
    public var halfOpen: Range<Int64> { first ..< last + 1 }
    public var description: String { "\(first)-\(last)" }

    /// Strict decimal: digits only, at most 18 of them, so it can never overflow Int64.
    public static func parseDecimal(_ s: some StringProtocol) -> Int64? {
        guard !s.isEmpty, s.utf8.count <= 18 else { return nil }
        var v: Int64 = 0
        for c in s.utf8 {
            guard c >= 0x30 && c <= 0x39 else { return nil }
            v = v * 10 + Int64(c - 0x30)
        }
        return v
    }
}

/// Rules for the `RetrievalByteRange` of an archive-retrieval job.
public enum RetrievalRangeRule {
    public static let megabyte: Int64 = 1 << 20

    /// Why a range is refused, or nil when it is valid for an archive of `archiveSize` bytes.
    public static func violation(_ range: InclusiveByteRange, archiveSize: Int64) -> String? {
        if range.last >= archiveSize {
            return "The range \(range) extends past the end of the archive (\(archiveSize) bytes)."
        }
        if range.first % megabyte != 0 {
            return "The start of the range \(range) must be a multiple of 1 MiB (1048576)."
        }
        if (range.last + 1) % megabyte != 0 && range.last + 1 != archiveSize {
            return "The end of the range \(range) plus one must be a multiple of 1 MiB or equal the archive size."
        }
        return nil
    }
}

/// A parsed `Content-Range: bytes S-E/T` header (T may be `*`).
public struct ContentRange: Hashable, Sendable {
    public let range: InclusiveByteRange
    public let total: Int64?

    public init(range: InclusiveByteRange, total: Int64?) {
        self.range = range
        self.total = total
    }

    public init?(header: some StringProtocol) {
        let trimmed = header.drop { $0 == " " }
        guard trimmed.hasPrefix("bytes ") else { return nil }
        let rest = trimmed.dropFirst("bytes ".count)
        let parts = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let r = InclusiveByteRange(parts[0]) else { return nil }
        if parts[1] == "*" {
            self.init(range: r, total: nil)
        } else {
            guard let t = InclusiveByteRange.parseDecimal(parts[1]), r.last < t else { return nil }
            self.init(range: r, total: t)
        }
    }

    public var header: String { "bytes \(range.first)-\(range.last)/\(total.map(String.init) ?? "*")" }
}
