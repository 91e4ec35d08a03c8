import AWSSigning
import Foundation

/// The tools record times as `YYYYMMDDTHHMMSSZ` (UTC), SigV4's own date format: `AmzDate` reads and
/// writes it; this gives whole seconds since 1970.
enum RecordedTime {
    static func seconds<S: StringProtocol>(_ text: S) -> Int64? {
        AmzDate.parse(String(text)).map { Int64($0.timeIntervalSince1970) }
    }

    static func text(_ seconds: Int64) -> String {
        AmzDate.format(Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
}
