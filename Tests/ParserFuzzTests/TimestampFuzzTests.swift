import Foundation
import Testing

@testable import AWSSigning
@testable import GlacierModel

/// Glacier's ISO 8601 timestamps and SigV4's basic-format dates against a day-counting calendar.
@Suite struct TimestampFuzzTests {
    /// 9999-12-31T23:59:59.999Z, the last instant four year digits can write.
    static let lastMillisecond: Int64 = 253_402_300_799_999

    static func randomMillisecond(_ r: inout FuzzRandom) -> Int64 {
        switch r.int(0 ..< 8) {
        case 0: return r.int64(0 ... lastMillisecond)
        case 1: return r.int64(0 ... lastMillisecond) / 1000 * 1000 + 999
        case 2: return r.int64(0 ... lastMillisecond) / 1000 * 1000
        case 3: return r.int64(-62_167_219_200_000 ... -1)  // year 0000 up to the end of 1969
        default: return r.int64(1_325_376_000_000 ... 2_082_758_399_999)  // 2012 … 2035
        }
    }

    /// The reference grammar `YYYY-MM-DDTHH:MM:SS[.f+]Z` on a real calendar date; the value in
    /// seconds, or nil.
    static func referenceGlacier(_ text: String) -> Double? {
        let b = Array(text.utf8)
        func digits(_ r: Range<Int>) -> Int? {
            guard r.upperBound <= b.count, b[r].allSatisfy({ (0x30 ... 0x39).contains($0) }) else { return nil }
            return b[r].reduce(0) { $0 * 10 + Int($1 - 0x30) }
        }
        guard b.count >= 20, b.last == UInt8(ascii: "Z"), b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
            b[10] == UInt8(ascii: "T"), b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
            let y = digits(0 ..< 4), let mo = digits(5 ..< 7), let d = digits(8 ..< 10), let h = digits(11 ..< 13),
            let mi = digits(14 ..< 16), let s = digits(17 ..< 19)
        else { return nil }
        var fraction = 0.0
        if b.count > 20 {
            guard b[19] == UInt8(ascii: "."), b.count > 21,
                b[20 ..< b.count - 1].allSatisfy({ (0x30 ... 0x39).contains($0) })
            else {
                return nil
            }
            fraction = Double("0." + String(decoding: b[20 ..< b.count - 1], as: UTF8.self)) ?? .nan
        }
        let c = ReferenceCalendar.Civil(year: y, month: mo, day: d, hour: h, minute: mi, second: s)
        guard ReferenceCalendar.isValid(c) else { return nil }
        return Double(ReferenceCalendar.seconds(c)) + fraction
    }

    @Test func glacierTimestampFormatAndParseRoundTrip() {
        fuzz("GlacierTimestamp.format/parse") { r, run in
            let ms = Self.randomMillisecond(&r)
            let seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
            let text = ReferenceCalendar.glacier(
                ReferenceCalendar.civil(seconds), millisecond: Int(ms - seconds * 1000))
            let formatted = GlacierTimestamp.format(Date(timeIntervalSince1970: Double(ms) / 1000))
            run.expect(formatted == text, "millisecond \(ms): formatted \(formatted), reference \(text)")
            guard let parsed = GlacierTimestamp.parse(text) else {
                run.reject()
                run.expect(false, "\(text) (millisecond \(ms)) rejected")
                return
            }
            run.expect(
                abs(parsed.timeIntervalSince1970 * 1000 - Double(ms)) < 0.5,
                "\(text): parsed as \(parsed.timeIntervalSince1970), reference \(ms) ms")
            let again = GlacierTimestamp.format(parsed)
            run.expect(again == text, "\(text): parse then format gives \(again)")
        }
    }

    @Test func glacierTimestampParseRejectsOrAgrees() {
        fuzz("GlacierTimestamp.parse") { r, run in
            let years = r.oneIn(8) ? 0 ... 9999 : 1970 ... 2100
            let c = ReferenceCalendar.randomFields(&r, years: years)
            var text = ReferenceCalendar.glacier(c, millisecond: r.int(0 ... 999))
            switch r.int(0 ..< 6) {
            case 0: text = text.replacingOccurrences(of: ".\(text.dropLast().suffix(3))Z", with: "Z")
            case 1: text = text.replacingOccurrences(of: "Z", with: "\(r.int(0 ... 999_999))Z")
            case 2, 3: text = TextMutator.mutate(text, &r)
            default: break
            }
            let got = GlacierTimestamp.parse(text)
            let expected = Self.referenceGlacier(text)
            guard let got else {
                run.reject()
                run.expect(expected == nil, "\(show(text)) rejected, reference \(expected ?? .nan)")
                return
            }
            run.expect(
                expected.map { abs($0 - got.timeIntervalSince1970) < 1e-3 } ?? false,
                "\(show(text)) accepted as \(got.timeIntervalSince1970), reference \(expected.map { "\($0)" } ?? "rejects it")"
            )
        }
    }

    static func referenceAmz(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        guard b.count == 16, b[8] == UInt8(ascii: "T"), b[15] == UInt8(ascii: "Z") else { return nil }
        func digits(_ r: Range<Int>) -> Int? {
            b[r].allSatisfy { (0x30 ... 0x39).contains($0) } ? b[r].reduce(0) { $0 * 10 + Int($1 - 0x30) } : nil
        }
        guard let y = digits(0 ..< 4), let mo = digits(4 ..< 6), let d = digits(6 ..< 8), let h = digits(9 ..< 11),
            let mi = digits(11 ..< 13), let s = digits(13 ..< 15)
        else { return nil }
        let c = ReferenceCalendar.Civil(year: y, month: mo, day: d, hour: h, minute: mi, second: s)
        return ReferenceCalendar.isValid(c) ? ReferenceCalendar.seconds(c) : nil
    }

    @Test func amzDateFormatAndParseRoundTrip() {
        fuzz("AmzDate.format/parse") { r, run in
            let seconds = Self.randomMillisecond(&r) / 1000
            let text = ReferenceCalendar.amz(ReferenceCalendar.civil(seconds))
            let formatted = AmzDate.format(Date(timeIntervalSince1970: Double(seconds) + (r.bool() ? 0.999 : 0)))
            run.expect(formatted == text, "second \(seconds): formatted \(formatted), reference \(text)")
            let parsed = AmzDate.parse(text)
            if parsed == nil { run.reject() }
            run.expect(
                parsed?.timeIntervalSince1970 == Double(seconds), "\(text): parsed as \(String(describing: parsed))")
            run.expect(parsed.map(AmzDate.format) == text, "\(text): does not round-trip")
        }
    }

    @Test func amzDateParseRejectsOrAgrees() {
        fuzz("AmzDate.parse") { r, run in
            let years = r.oneIn(8) ? 0 ... 9999 : 1970 ... 2100
            let c = ReferenceCalendar.randomFields(&r, years: years)
            var text = ReferenceCalendar.amz(c)
            if r.bool() { text = TextMutator.mutate(text, &r) }
            let got = AmzDate.parse(text)
            let expected = Self.referenceAmz(text)
            if got == nil { run.reject() }
            run.expect(
                got?.timeIntervalSince1970 == expected.map(Double.init),
                "\(show(text)): \(got.map { "\($0.timeIntervalSince1970)" } ?? "rejected"), reference \(expected.map { "\($0)" } ?? "rejects it")"
            )
        }
    }

    /// The IMF-fixdate grammar on a real calendar date, by position; the seconds, or nil.
    static func referenceHTTP(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        guard b.count == 29 else { return nil }
        func digits(_ r: Range<Int>) -> Int? {
            b[r].allSatisfy { (0x30 ... 0x39).contains($0) } ? b[r].reduce(0) { $0 * 10 + Int($1 - 0x30) } : nil
        }
        func word(_ r: Range<Int>) -> String { String(decoding: b[r], as: UTF8.self) }
        guard ReferenceCalendar.dayNames.contains(word(0 ..< 3)), word(3 ..< 5) == ", ", b[7] == 0x20,
            let month = ReferenceCalendar.monthNames.firstIndex(of: word(8 ..< 11)), b[11] == 0x20,
            b[16] == 0x20, b[19] == UInt8(ascii: ":"), b[22] == UInt8(ascii: ":"), word(25 ..< 29) == " GMT",
            let d = digits(5 ..< 7), let y = digits(12 ..< 16), let h = digits(17 ..< 19),
            let mi = digits(20 ..< 22), let s = digits(23 ..< 25)
        else { return nil }
        let c = ReferenceCalendar.Civil(year: y, month: month + 1, day: d, hour: h, minute: mi, second: s)
        return ReferenceCalendar.isValid(c) ? ReferenceCalendar.seconds(c) : nil
    }

    @Test func httpDateFormatAndParseRoundTrip() {
        fuzz("HTTPDate.format/parse") { r, run in
            let seconds = Self.randomMillisecond(&r) / 1000
            let text = ReferenceCalendar.http(ReferenceCalendar.civil(seconds))
            let formatted = HTTPDate.format(Date(timeIntervalSince1970: Double(seconds) + (r.bool() ? 0.999 : 0)))
            run.expect(formatted == text, "second \(seconds): formatted \(formatted), reference \(text)")
            let parsed = HTTPDate.parse(text)
            if parsed == nil { run.reject() }
            run.expect(
                parsed?.timeIntervalSince1970 == Double(seconds), "\(text): parsed as \(String(describing: parsed))")
        }
    }

    @Test func httpDateParseRejectsOrAgrees() {
        fuzz("HTTPDate.parse") { r, run in
            let years = r.oneIn(8) ? 0 ... 9999 : 1970 ... 2100
            var text = ReferenceCalendar.http(ReferenceCalendar.randomFields(&r, years: years))
            if r.bool() { text = TextMutator.mutate(text, &r) }
            let got = HTTPDate.parse(text)
            let expected = Self.referenceHTTP(text)
            if got == nil { run.reject() }
            run.expect(
                got?.timeIntervalSince1970 == expected.map(Double.init),
                "\(show(text)): \(got.map { "\($0.timeIntervalSince1970)" } ?? "rejected"), reference \(expected.map { "\($0)" } ?? "rejects it")"
            )
        }
    }

    /// RFC 9110 §5.6.7's example in its three forms, and near misses of each.
    @Test func httpDateReadsTheObsoleteFormsAndNothingElse() {
        for text in ["Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"] {
            #expect(HTTPDate.parse(text)?.timeIntervalSince1970 == 784_111_777, "\(text)")
        }
        #expect(HTTPDate.parse("Thu Nov 26 08:49:37 2026")?.timeIntervalSince1970 == 1_795_682_977)
        for text in [
            "", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMT ",
            "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Now 1994 08:49:37 GMT", "Sunday, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06-Nov-94 08:49:37 GMT", "Funday, 06-Nov-94 08:49:37 GMT", "Sun Nov 6 08:49:37 1994",
            "Sun Nov  6 08:49:37 94", "Sun Nov  6 24:49:37 1994",
        ] {
            #expect(HTTPDate.parse(text) == nil, "\(text)")
        }
    }

    /// A real leap second ends a month's last day; each parser reads it as the next day's first
    /// second, as the reference calendar does (POSIX time has no leap seconds).
    @Test func aLeapSecondAtTheEndOfAMonthIsTheNextDaysFirstSecond() {
        let newYear2017: Double = 1_483_228_800
        #expect(GlacierTimestamp.parse("2016-12-31T23:59:60Z")?.timeIntervalSince1970 == newYear2017)
        #expect(AmzDate.parse("20161231T235960Z")?.timeIntervalSince1970 == newYear2017)
        #expect(HTTPDate.parse("Sat, 31 Dec 2016 23:59:60 GMT")?.timeIntervalSince1970 == newYear2017)
        #expect(GlacierTimestamp.parse("2016-12-31T23:59:61Z") == nil)
    }
}
