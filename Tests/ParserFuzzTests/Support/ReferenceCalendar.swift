/// Proleptic Gregorian calendar arithmetic by counting days year by year and month by month:
/// slow, obvious, and sharing nothing with timegm/gmtime.
enum ReferenceCalendar {
    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    static func daysIn(month: Int, year: Int) -> Int {
        [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    }

    struct Civil: Equatable {
        var year, month, day, hour, minute, second: Int
    }

    /// The UTC civil time of a count of seconds since 1970 (before 1970 too).
    static func civil(_ seconds: Int64) -> Civil {
        var days = Int(seconds / 86_400)
        var rest = Int(seconds % 86_400)
        if rest < 0 {
            rest += 86_400
            days -= 1
        }
        var year = 1970
        while days < 0 {
            year -= 1
            days += isLeap(year) ? 366 : 365
        }
        while days >= (isLeap(year) ? 366 : 365) {
            days -= isLeap(year) ? 366 : 365
            year += 1
        }
        var month = 1
        while days >= daysIn(month: month, year: year) {
            days -= daysIn(month: month, year: year)
            month += 1
        }
        return Civil(
            year: year, month: month, day: days + 1, hour: rest / 3600, minute: rest / 60 % 60, second: rest % 60)
    }

    /// Seconds since 1970 of a civil time, counting whole years and months forward or backward.
    static func seconds(_ c: Civil) -> Int64 {
        var days = 0
        if c.year >= 1970 {
            for y in 1970 ..< c.year { days += isLeap(y) ? 366 : 365 }
        } else {
            for y in c.year ..< 1970 { days -= isLeap(y) ? 366 : 365 }
        }
        for m in 1 ..< c.month { days += daysIn(month: m, year: c.year) }
        days += c.day - 1
        return Int64(days) * 86_400 + Int64(c.hour * 3600 + c.minute * 60 + c.second)
    }

    static func isValid(_ c: Civil) -> Bool {
        (1 ... 12).contains(c.month) && (1 ... daysIn(month: c.month, year: c.year)).contains(c.day)
            && c.hour < 24 && c.minute < 60 && c.second < 61  // 60: a leap second
    }

    static func pad(_ v: Int, _ width: Int) -> String { String(v).leftPadded(to: width) }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`
    static func glacier(_ c: Civil, millisecond: Int) -> String {
        "\(pad(c.year, 4))-\(pad(c.month, 2))-\(pad(c.day, 2))T\(pad(c.hour, 2)):\(pad(c.minute, 2)):\(pad(c.second, 2)).\(pad(millisecond, 3))Z"
    }

    /// `YYYYMMDDTHHMMSSZ`
    static func amz(_ c: Civil) -> String {
        "\(pad(c.year, 4))\(pad(c.month, 2))\(pad(c.day, 2))T\(pad(c.hour, 2))\(pad(c.minute, 2))\(pad(c.second, 2))Z"
    }

    static let dayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `Www, DD Mon YYYY HH:MM:SS GMT` (IMF-fixdate); 1 January 1970 was a Thursday. A month out
    /// of range has no name, so it is written as the month it wraps to.
    static func http(_ c: Civil) -> String {
        let month = ((c.month - 1) % 12 + 12) % 12 + 1
        let days = seconds(Civil(year: c.year, month: month, day: c.day, hour: 0, minute: 0, second: 0)) / 86_400
        let weekday = Int(((days + 4) % 7 + 7) % 7)
        return "\(dayNames[weekday]), \(pad(c.day, 2)) \(monthNames[month - 1]) \(pad(c.year, 4)) "
            + "\(pad(c.hour, 2)):\(pad(c.minute, 2)):\(pad(c.second, 2)) GMT"
    }

    /// A civil time that is often invalid in one field: 30 February, 31 April, hour 24, minute 60.
    static func randomFields(_ r: inout FuzzRandom, years: ClosedRange<Int>) -> Civil {
        var c = Civil(
            year: r.int(years), month: r.int(1 ... 12), day: 1, hour: r.int(0 ... 23),
            minute: r.int(0 ... 59), second: r.int(0 ... 59))
        c.day = r.int(1 ... daysIn(month: c.month, year: c.year))
        switch r.int(0 ..< 12) {
        case 0: c.day = daysIn(month: c.month, year: c.year) + r.int(1 ... 3)
        case 1: (c.month, c.day) = (2, r.int(28 ... 30))
        case 2: c.month = r.pick([0, 13, 99])
        case 3: c.hour = r.pick([23, 24, 99])
        case 4: c.minute = r.pick([59, 60, 99])
        case 5: c.second = r.pick([59, 60, 61, 99])
        case 6: c.day = 0
        default: break
        }
        return c
    }
}
