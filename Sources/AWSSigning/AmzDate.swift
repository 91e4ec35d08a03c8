import Foundation
import GlacierModel

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
            let h = num(9 ..< 11), let mi = num(11 ..< 13), let se = num(13 ..< 15)
        else { return nil }
        return CivilTime(year: y, month: mo, day: d, hour: h, minute: mi, second: se).date
    }
}
