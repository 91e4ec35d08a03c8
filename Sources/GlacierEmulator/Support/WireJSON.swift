import Foundation

/// JSON as the service writes it: slashes unescaped (ARNs read `vaults/NAME`, not `vaults\/NAME`).
enum WireJSON {
    static func encode(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }
}
