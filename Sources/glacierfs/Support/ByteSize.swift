import ArgumentParser
import Foundation

/// A size such as `512M`, `10G` or `1.5T` (binary units), or a plain number of bytes.
struct ByteSize: ExpressibleByArgument, Sendable, CustomStringConvertible {
    let bytes: Int64

    init(bytes: Int64) { self.bytes = bytes }

    init?(argument: String) {
        let text = argument.trimmingCharacters(in: .whitespaces).uppercased()
        let (k, m, g, t) = (1024.0, 1024.0 * 1024, 1024.0 * 1024 * 1024, 1024.0 * 1024 * 1024 * 1024)
        let units: [(String, Double)] = [
            ("TIB", t), ("GIB", g), ("MIB", m), ("KIB", k), ("TB", t), ("GB", g), ("MB", m),
            ("KB", k), ("T", t), ("G", g), ("M", m), ("K", k), ("B", 1),
        ]
        var multiplier = 1.0
        var number = Substring(text)
        for (suffix, value) in units where text.hasSuffix(suffix) {
            multiplier = value
            number = text.dropLast(suffix.count)
            break
        }
        guard let n = Double(number.trimmingCharacters(in: .whitespaces)), n >= 0, n * multiplier < 9e18 else {
            return nil
        }
        bytes = Int64(n * multiplier)
    }

    var description: String { Self.format(bytes) }

    static func format(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }

    static var defaultValueDescriptionHint: String { "e.g. 512M, 20G" }
}
