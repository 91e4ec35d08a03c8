import Foundation

/// The ISO 8601 timestamps in Glacier's JSON, e.g. `2012-03-20T17:03:43.221Z`.
public enum GlacierTimestamp {
    public static func format(_ date: Date) -> String {
        // Round to the millisecond, then split with floor division so times before 1970 work too.
        let ms = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        var t = time_t(seconds)
        var tm = tm()
        gmtime_r(&t, &tm)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(tm.tm_year) + 1900, Int(tm.tm_mon) + 1,
            Int(tm.tm_mday), Int(tm.tm_hour), Int(tm.tm_min), Int(tm.tm_sec), Int(ms - seconds * 1000))
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fff]Z`; nil for anything else.
    public static func parse(_ s: String) -> Date? {
        let b = Array(s.utf8)
        guard b.count >= 20, b.last == UInt8(ascii: "Z"), b[4] == 0x2d, b[7] == 0x2d, b[10] == UInt8(ascii: "T"),
            b[13] == 0x3a, b[16] == 0x3a
        else { return nil }
        func num(_ r: Range<Int>) -> Int32? {
            var v: Int32 = 0
            for i in r {
                guard b[i] >= 0x30 && b[i] <= 0x39 else { return nil }
                v = v * 10 + Int32(b[i] - 0x30)
            }
            return v
        }
        guard let y = num(0 ..< 4), let mo = num(5 ..< 7), let d = num(8 ..< 10), let h = num(11 ..< 13),
            let mi = num(14 ..< 16), let se = num(17 ..< 19)
        else { return nil }
        var fraction = 0.0
        if b.count > 20 {
            guard b[19] == UInt8(ascii: "."), b.count > 21 else { return nil }
            var scale = 0.1
            for c in b[20 ..< (b.count - 1)] {
                guard c >= 0x30 && c <= 0x39 else { return nil }
                fraction += Double(c - 0x30) * scale
                scale /= 10
            }
        } else if b.count != 20 {
            return nil
        }
        let civil = CivilTime(year: y, month: mo, day: d, hour: h, minute: mi, second: se)
        return civil.date.map { Date(timeIntervalSince1970: $0.timeIntervalSince1970 + fraction) }
    }
}
