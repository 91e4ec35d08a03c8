/// Where one archive of the plan stands. Each archive moves forward only:
/// planned → retrieving → ready → copying → copied; skipped and failed are final, with a reason.
/// An expired output sends an archive from ready or copying back to planned.
public enum ArchivePhase: String, Sendable, CaseIterable {
    case planned, retrieving, ready, copying, copied, skipped, failed

    /// Phases with work still to do.
    public static let open: [ArchivePhase] = [.planned, .retrieving, .ready, .copying]

    public var isFinal: Bool { self == .copied || self == .skipped || self == .failed }
}
