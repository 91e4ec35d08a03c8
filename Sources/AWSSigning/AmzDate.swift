import Foundation

/// The `YYYYMMDD'T'HHMMSS'Z'` timestamps SigV4 uses, in UTC.
public enum AmzDate {
    public static func format(_ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970.rounded(.down))
        var tm = tm()
        gmtime_r(&t, &tm)
        // Written digit by digit: every request is signed, and `String(format:)` goes through
        // Foundation's formatter.
        var text = [UInt8]()
        text.reserveCapacity(16)
        func put(_ value: Int32, _ width: Int) {
            var digits = [UInt8](repeating: 0x30, count: width)
            var v = value
            for i in stride(from: width - 1, through: 0, by: -1) {
                digits[i] = 0x30 + UInt8(v % 10)
                v /= 10
            }
            text += digits
        }
        put(tm.tm_year + 1900, 4)
        put(tm.tm_mon + 1, 2)
        put(tm.tm_mday, 2)
        text.append(UInt8(ascii: "T"))
        put(tm.tm_hour, 2)
        put(tm.tm_min, 2)
        put(tm.tm_sec, 2)
        text.append(UInt8(ascii: "Z"))
        return String(decoding: text, as: UTF8.self)
    }

    public static func parse(_ s: String) -> Date? {
        let b = Array(s.utf8)
        guard b.count == 16, b[8] == UInt8(ascii: "T"), b[15] == UInt8(ascii: "Z") else { return nil }
        func num(_ r: Range<Int>) -> Int32? {
            var v: Int32 = 0
            for i in r {
                guard b[i] >= 0x30 && b[i] <= 0x39 else { return nil }
                v = v * 10 + Int32(b[i] - 0x30)
            }
            return v
        }
        guard let y = num(0 ..< 4), let mo = num(4 ..< 6), let d = num(6 ..< 8),
            let h = num(9 ..< 11), let mi = num(11 ..< 13), let se = num(13 ..< 15),
            (1 ... 12).contains(mo), (1 ... 31).contains(d), h < 24, mi < 60, se < 61
        else { return nil }
        // As GlacierModel's CivilTime (this module does not depend on that one). Second 60 (a
        // leap second) is the second after 59, at the end of any day too; timegm
        // would carry 23:59:60 into the next day, which the check below refuses.
        let leap: Int32 = se == 60 ? 1 : 0
        var tm = tm()
        tm.tm_year = y - 1900
        tm.tm_mon = mo - 1
        tm.tm_mday = d
        tm.tm_hour = h
        tm.tm_min = mi
        tm.tm_sec = se - leap
        let seconds = timegm(&tm)
        // timegm quietly moves 30 February to March; such a date is not a date.
        guard tm.tm_mday == d, tm.tm_mon == mo - 1, tm.tm_year == y - 1900 else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(seconds) + TimeInterval(leap))
    }
}
