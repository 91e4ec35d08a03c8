import Foundation

/// Parses byte counts written for people: `40000000`, `40MB`, `40M`, `512KiB`, `1.5GB`.
/// Decimal suffixes (K, M, G, KB, MB, GB) are powers of 1000; binary ones (KiB, MiB, GiB) of 1024.
public enum ByteCountParser {
    public static func parse(_ text: String) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let split = trimmed.firstIndex { !($0.isASCII && ($0.isNumber || $0 == ".")) } ?? trimmed.endIndex
        let number = trimmed[..<split]
        let suffix = trimmed[split...].trimmingCharacters(in: .whitespaces).lowercased()
        guard !number.isEmpty, let value = Double(number), value.isFinite, value >= 0 else { return nil }
        let multipliers: [String: Double] = [
            "": 1, "b": 1,
            "k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9,
            "kib": 1024, "mib": 1_048_576, "gib": 1_073_741_824,
        ]
        guard let multiplier = multipliers[suffix] else { return nil }
        let result = (value * multiplier).rounded()
        guard result <= Double(Int64.max / 2) else { return nil }
        return Int64(result)
    }
}
