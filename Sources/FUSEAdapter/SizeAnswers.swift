import Foundation
import Synchronization

/// The values the latest extended-attribute size queries were answered from. Callers such as
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
    /// Attributes remembered at most; the least recently asked go first.
    static let capacity = 256
    /// Answers kept per attribute, for callers that ask at the same time.
    static let answersPerAttribute = 4

    /// Each attribute's latest answers, oldest first.
    private let answers = Mutex<[Key: [Answer]]>([:])

    /// What to send for a query of `key` with a buffer of `size` bytes (0 asks the size): the
    /// size, the bytes, or `.tooSmall` for ERANGE.
    func reply(to key: Key, value: [UInt8], size: Int) -> Reply {
        let now = ContinuousClock.now
        if size == 0 {
            answers.withLock { answers in
                if answers[key] == nil && answers.count >= Self.capacity {
                    answers = answers.filter { now - $0.value.last!.at < Self.maximumAge }
                    // Keys come one at a time, so one makes room.
                    if answers.count >= Self.capacity,
                        let oldest = answers.min(by: { $0.value.last!.at < $1.value.last!.at })
                    {
                        answers[oldest.key] = nil
                    }
                }
                var kept = answers[key, default: []]
                kept.append(Answer(value: value, at: now))
                answers[key] = Array(kept.suffix(Self.answersPerAttribute))
            }
            return .size(value.count)
        }
        if value.count <= size { return .bytes(value) }
        let earlier = answers.withLock { answers in
            answers[key]?.last { $0.value.count <= size && now - $0.at < Self.maximumAge }
        }
        return earlier.map { .bytes($0.value) } ?? .tooSmall
    }

    enum Reply {
        case size(Int)
        case bytes([UInt8])
        case tooSmall
    }
}
