import GlacierModel

/// The `Range` header of GetJobOutput: `bytes=S-E`, `bytes=S-` (to the end) or `bytes=-N` (the
/// last N bytes). Only one range per request.
enum RangeHeader {
    enum Outcome: Equatable {
        /// The inclusive range to send, clamped to the output.
        case satisfiable(InclusiveByteRange)
        /// Well formed, but no byte of it lies within the output (416).
        case unsatisfiable
    }

    /// Throws InvalidParameterValueException (400) for text that is not a single byte range.
    static func resolve(_ text: String, size: Int64) throws(ServiceError) -> Outcome {
        let trimmed = text.trimmingSpaces
        guard trimmed.hasPrefix("bytes="), !trimmed.contains(",") else {
            throw .invalidParameter("Invalid Range '\(text)': expected a single range 'bytes=StartByte-EndByte'.")
        }
        let spec = trimmed.dropFirst("bytes=".count)
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !(parts[0].isEmpty && parts[1].isEmpty) else {
            throw .invalidParameter("Invalid Range '\(text)': expected 'bytes=StartByte-EndByte'.")
        }
        let first = parts[0].isEmpty ? nil : InclusiveByteRange.parseDecimal(parts[0])
        let last = parts[1].isEmpty ? nil : InclusiveByteRange.parseDecimal(parts[1])
        if (!parts[0].isEmpty && first == nil) || (!parts[1].isEmpty && last == nil) {
            throw .invalidParameter("Invalid Range '\(text)': the offsets must be non-negative integers.")
        }
        if let first, let last, last < first {
            throw .invalidParameter("Invalid Range '\(text)': the end is before the start.")
        }
        guard size > 0 else { return .unsatisfiable }
        switch (first, last) {
        case (let f?, let l):
            guard f < size else { return .unsatisfiable }
            return .satisfiable(InclusiveByteRange(first: f, last: min(l ?? size - 1, size - 1))!)
        case (nil, let n?):
            guard n > 0 else { return .unsatisfiable }
            return .satisfiable(InclusiveByteRange(first: max(0, size - n), last: size - 1)!)
        case (nil, nil):
            return .unsatisfiable
        }
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return String(s)
    }
}
