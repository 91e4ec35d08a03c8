/// Why an inventory cannot be trusted, and where.
public struct InventoryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Byte offset from the start of the inventory where the problem was seen.
    public var offset: Int64
    /// The archive entry (JSON, 1-based) or the CSV line (1-based, the header is line 1), when known.
    public var entry: Int?
    public var reason: String
    public var format: InventoryParser.Format

    public init(offset: Int64, entry: Int?, reason: String, format: InventoryParser.Format) {
        self.offset = offset
        self.entry = entry
        self.reason = reason
        self.format = format
    }

    public var description: String { "the \(format.rawValue) inventory is not valid \(located)" }

    /// `at <entry or line>, byte <offset>: <reason>`, for messages that already name the inventory.
    public var located: String {
        let place =
            switch (format, entry) {
            case (.json, let n?): "archive entry \(n), byte \(offset)"
            case (.csv, let n?): "line \(n), byte \(offset)"
            case (_, nil): "byte \(offset)"
            }
        return "at \(place): \(reason)"
    }
}
