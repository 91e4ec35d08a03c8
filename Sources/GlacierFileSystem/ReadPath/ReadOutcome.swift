/// What a read produces: the bytes, in pieces that stay valid until the reply is sent, or why not.
public enum ReadOutcome: Sendable {
    case data([ByteSegment])
    case failure(ReadFailure)
}
