/// The ways the emulator can spoil a response on purpose.
public enum FaultKind: String, CaseIterable, Sendable, Codable, Hashable {
    /// One or more body bytes flipped; headers intact.
    case flip
    /// The full Content-Length announced, then the connection closed part-way through the body.
    case truncate
    /// The connection aborted with a TCP RST (SO_LINGER 0) before or during the body.
    case reset
    /// 503 ServiceUnavailableException instead of the answer.
    case unavailable
    /// 400 ThrottlingException instead of the answer.
    case throttle
    /// A wrong `x-amz-sha256-tree-hash` with a correct body; only where a checksum is sent.
    case wrongChecksum = "wrong-checksum"
    /// A `Content-Range` that disagrees with the body; only where a Content-Range is sent.
    case badContentRange = "bad-content-range"
    /// 400 InsufficientCapacityException instead of the answer (Expedited without capacity).
    case insufficientCapacity = "insufficient-capacity"
    /// 400 PolicyEnforcedException instead of the answer (the vault's retrieval policy refuses).
    case policyEnforced = "policy-enforced"

    /// Faults that replace the answer, so they are decided before the operation runs.
    var replacesResponse: Bool { [.unavailable, .throttle, .insufficientCapacity, .policyEnforced].contains(self) }
}
