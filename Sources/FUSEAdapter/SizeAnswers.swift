import Foundation
import Synchronization

/// The value each extended-attribute size query was last answered from. Callers such as
/// `getfattr` ask the size (a buffer of 0), then read into a buffer of exactly that size; a
/// changing value (the status document, the verification summary) may grow in between, and the
/// read would fail with ERANGE. That read gets the value it was told the size of instead.
final class SizeAnswers: Sendable {
    /// An attribute (`name`) or an inode's list of names (`name` nil).
    struct Key: Hashable, Sendable {
        let inode: UInt64
        let name: String?
    }

    private struct Answer {
        let value: [UInt8]
        let at: ContinuousClock.Instant
    }

    /// A reader that asked longer ago than this gets ERANGE, and asks again.
    static let maximumAge = Duration.seconds(10)
    /// Answers kept at most; the oldest go first (a size query is followed by its read at once).
    static let capacity = 256

    private let answers = Mutex<[Key: Answer]>([:])

    /// What to send for a query of `key` with a buffer of `size` bytes (0 asks the size): the
    /// size, the bytes, or nil for ERANGE.
    func reply(to key: Key, value: [UInt8], size: Int) -> Reply {
        let now = ContinuousClock.now
        if size == 0 {
            answers.withLock { answers in
                if answers.count >= Self.capacity {
                    answers = answers.filter { now - $0.value.at < Self.maximumAge }
                    while answers.count >= Self.capacity,
                        let oldest = answers.min(by: { $0.value.at < $1.value.at })
                    {
                        answers[oldest.key] = nil
                    }
                }
                answers[key] = Answer(value: value, at: now)
            }
            return .size(value.count)
        }
        if value.count <= size { return .bytes(value) }
        let earlier = answers.withLock { $0[key] }
        if let earlier, earlier.value.count <= size, now - earlier.at < Self.maximumAge {
            return .bytes(earlier.value)
        }
        return .tooSmall
    }

    enum Reply: Equatable {
        case size(Int)
        case bytes([UInt8])
        case tooSmall
    }
}
