import Foundation

/// The HTTP `Date` header (RFC 9110 §5.6.7): written as IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`;
/// read in that form and in the two obsolete ones a recipient must accept, RFC 850
/// (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37 1994`).
/// Parsed by hand: the client reads one per response, and a `DateFormatter` costs more than the
/// rest of the response's handling.
public enum HTTPDate {
    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let longDays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    public static func format(_ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970.rounded(.down))
        var tm = tm()
        gmtime_r(&t, &tm)
        func pad(_ v: Int32, _ width: Int) -> String {
            let digits = String(v)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(days[Int(tm.tm_wday)]), \(pad(tm.tm_mday, 2)) \(months[Int(tm.tm_mon)]) \(pad(tm.tm_year + 1900, 4)) "
            + "\(pad(tm.tm_hour, 2)):\(pad(tm.tm_min, 2)):\(pad(tm.tm_sec, 2)) GMT"
    }

    /// The instant a `Date` header names, or nil if it is in none of the three forms or names no
    /// real date. The day name is checked for form only, as recipients do.
    public static func parse(_ text: String) -> Date? {
        var s = Scanner(Array(text.utf8))
        let fields: CivilTime?
        if let comma = s.bytes.firstIndex(of: UInt8(ascii: ",")) {
            let day = String(decoding: s.bytes[..<comma], as: UTF8.self)
            s.at = comma + 1
            if days.contains(day) {
                fields = imfFixdate(&s)
            } else if longDays.contains(day) {
                fields = rfc850(&s)
            } else {
                fields = nil
            }
        } else {
            fields = asctime(&s)
        }
        guard let f = fields, s.atEnd else { return nil }
        return f.date
    }

    /// ` 06 Nov 1994 08:49:37 GMT`, after `Sun,`.
    private static func imfFixdate(_ s: inout Scanner) -> CivilTime? {
        guard s.skip(" "), let day = s.digits(2), s.skip(" "), let month = s.month(), s.skip(" "),
            let year = s.digits(4), s.skip(" "), let time = s.time(), s.skip(" GMT")
        else { return nil }
        return CivilTime(year: year, month: month, day: day, hour: time.0, minute: time.1, second: time.2)
    }

    /// ` 06-Nov-94 08:49:37 GMT`, after `Sunday,`. A two-digit year is the one with those digits
    /// from 49 years back to 50 ahead: one more than 50 years ahead is the century before (RFC
    /// 9110 §5.6.7).
    private static func rfc850(_ s: inout Scanner) -> CivilTime? {
        guard s.skip(" "), let day = s.digits(2), s.skip("-"), let month = s.month(), s.skip("-"),
            let short = s.digits(2), s.skip(" "), let time = s.time(), s.skip(" GMT")
        else { return nil }
        var now = time_t(Date().timeIntervalSince1970)
        var tm = tm()
        gmtime_r(&now, &tm)
        let thisYear = tm.tm_year + 1900
        var year = thisYear / 100 * 100 + short
        if year > thisYear + 50 { year -= 100 }
        if year <= thisYear - 50 { year += 100 }
        return CivilTime(year: year, month: month, day: day, hour: time.0, minute: time.1, second: time.2)
    }

    /// `Sun Nov  6 08:49:37 1994`: the day of the month padded with a space.
    private static func asctime(_ s: inout Scanner) -> CivilTime? {
        guard s.bytes.count >= 4, days.contains(String(decoding: s.bytes[0 ..< 3], as: UTF8.self)) else {
            return nil
        }
        s.at = 3
        guard s.skip(" "), let month = s.month(), s.skip(" ") else { return nil }
        let day: Int32?
        if s.skip(" ") { day = s.digits(1) } else { day = s.digits(2) }
        guard let day, s.skip(" "), let time = s.time(), s.skip(" "), let year = s.digits(4) else { return nil }
        return CivilTime(year: year, month: month, day: day, hour: time.0, minute: time.1, second: time.2)
    }

    private struct Scanner {
        let bytes: [UInt8]
        var at = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { at == bytes.count }

        mutating func skip(_ literal: StaticString) -> Bool {
            let n = literal.utf8CodeUnitCount
            guard at + n <= bytes.count else { return false }
            for i in 0 ..< n where bytes[at + i] != literal.utf8Start[i] { return false }
            at += n
            return true
        }

        mutating func digits(_ n: Int) -> Int32? {
            guard at + n <= bytes.count else { return nil }
            var v: Int32 = 0
            for b in bytes[at ..< at + n] {
                guard b >= 0x30 && b <= 0x39 else { return nil }
                v = v * 10 + Int32(b - 0x30)
            }
            at += n
            return v
        }

        /// A month's three-letter name, as 1 to 12.
        mutating func month() -> Int32? {
            guard at + 3 <= bytes.count,
                let i = HTTPDate.months.firstIndex(of: String(decoding: bytes[at ..< at + 3], as: UTF8.self))
            else { return nil }
            at += 3
            return Int32(i + 1)
        }

        mutating func time() -> (Int32, Int32, Int32)? {
            guard let h = digits(2), skip(":"), let m = digits(2), skip(":"), let s = digits(2) else { return nil }
            return (h, m, s)
        }
    }
}
