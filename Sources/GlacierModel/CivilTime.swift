import Foundation

/// A UTC calendar time as a timestamp's fields give it, before it is known to be a real one.
package struct CivilTime {
    var year, month, day, hour, minute, second: Int32

    package init(year: Int32, month: Int32, day: Int32, hour: Int32, minute: Int32, second: Int32) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    /// The instant, or nil if the fields name no real time (30 February, hour 24). Second 60, a
    /// leap second, is the second after 59 (POSIX time has no leap seconds), at the end of any
    /// day too.
    package var date: Date? {
        guard (1 ... 12).contains(month), (1 ... 31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        // timegm would carry 23:59:60 into the next day, which the check below refuses.
        let leap: Int32 = second == 60 ? 1 : 0
        var tm = tm()
        tm.tm_year = year - 1900
        tm.tm_mon = month - 1
        tm.tm_mday = day
        tm.tm_hour = hour
        tm.tm_min = minute
        tm.tm_sec = second - leap
        let seconds = timegm(&tm)
        // timegm quietly moves 30 February to March; such a date is not a date.
        guard tm.tm_mday == day, tm.tm_mon == month - 1, tm.tm_year == year - 1900 else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(seconds) + TimeInterval(leap))
    }
}
