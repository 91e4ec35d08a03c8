/// Why a read failed. Every case is EIO to the reader; the message goes to the log.
public enum ReadFailure: Error, Sendable, Equatable {
    case fetchFailed(String)
    case refused(String)
    case outputGone(String)

    public var message: String {
        switch self {
        case .fetchFailed(let m), .refused(let m), .outputGone(let m): m
        }
    }
}
