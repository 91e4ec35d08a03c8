import Foundation

/// Parses an inventory as its bytes arrive, in order. (Interim: collects the bytes and parses
/// them whole; replaced by the streaming VaultInventory parser.)
struct InventoryStreamCheck {
    let format: String?
    private var bytes: [UInt8] = []
    private(set) var summary = ""

    init(format: String?) { self.format = format }

    /// Takes the next bytes; a description of what is wrong, or nil.
    mutating func feed(_ chunk: UnsafeRawBufferPointer) -> String? {
        bytes.append(contentsOf: chunk)
        return nil
    }

    /// After the last byte: a description of what is wrong, or nil.
    mutating func finish() -> String? {
        summary = "\(bytes.count) bytes"
        return bytes.withUnsafeBytes { InventoryCheck.problem($0, format: format) }
    }
}
