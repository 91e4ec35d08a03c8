import Foundation

/// Checks that an inventory output is what it claims to be before it is served.
enum InventoryCheck {
    /// A description of what is wrong, or nil when the bytes parse as the expected format.
    static func problem(_ bytes: UnsafeRawBufferPointer, format: String?) -> String? {
        if (format ?? "JSON").uppercased() == "CSV" {
            let firstLine = bytes.prefix { $0 != UInt8(ascii: "\n") }
            let header = String(decoding: firstLine, as: UTF8.self)
            return header.contains("ArchiveId") ? nil : "the CSV has no header row naming ArchiveId"
        }
        let data = Data(bytes: bytes.baseAddress!, count: bytes.count)
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            return "it does not parse as a JSON object"
        }
        return object["ArchiveList"] is [Any] ? nil : "the JSON has no ArchiveList"
    }
}
