/// What a running migration tells its user.
public enum MigrationEvent: Sendable {
    /// A line worth keeping in a log.
    case note(String)
    case warning(String)
    /// A status line that replaces the previous one on a terminal.
    case waiting(String)
    case progress(MigrationProgress)
}

/// Where the copy stands, for the progress display.
public struct MigrationProgress: Sendable {
    public var archivesDone: Int64
    public var archivesTotal: Int64
    public var bytesDone: Int64
    public var bytesTotal: Int64
    /// Bytes copied per second recently.
    public var rate: Double
    public var jobsInFlight: Int64
    public var copying: Int
    /// A line about the next thing to happen (a job completing, the budget allowing more).
    public var next: String?

    /// Seconds left at the current rate, when there is one.
    public var etaSeconds: Double? { rate > 0 ? Double(bytesTotal - bytesDone) / rate : nil }
}
