import GlacierModel
import VaultInventory

/// Parses an inventory as its bytes arrive, in order, with the same streaming parser as the
/// `archives/` view and `glacierfs migrate`: the structure, and every entry's fields and types.
/// Memory stays bounded whatever the inventory's size.
struct InventoryStreamCheck {
    private var parser: InventoryParser
    private(set) var summary = ""

    init(format: String?) {
        parser = InventoryParser(format: format?.uppercased() == "CSV" ? .csv : .json)
    }

    /// Takes the next bytes; a description of what is wrong, or nil.
    mutating func feed(_ chunk: UnsafeRawBufferPointer) -> String? {
        do {
            try parser.feed(chunk) { _ in }
            return nil
        } catch {
            return Self.describe(error)
        }
    }

    /// After the last byte: a description of what is wrong, or nil.
    mutating func finish() -> String? {
        do {
            let s = try parser.finish()
            summary = "\(s.archiveCount) archive(s), every entry's fields and types checked"
            return nil
        } catch {
            return Self.describe(error)
        }
    }

    /// Where the inventory is wrong and how, e.g. "at archive entry 1, byte 24: Size is -10, …".
    private static func describe(_ error: any Error) -> String {
        (error as? InventoryError)?.located ?? "\(error)"
    }
}
