import VaultInventory

/// Checks that an inventory output is what it claims to be before it is served: all of it, by the
/// streaming parser, so the check costs little memory whatever the inventory's size.
enum InventoryCheck {
    /// What is wrong and where, or nil when every entry of the inventory parses and checks out.
    static func problem(_ bytes: UnsafeRawBufferPointer, format: String?) -> String? {
        var parser = InventoryParser(format: (format ?? "JSON").uppercased() == "CSV" ? .csv : .json)
        do {
            try parser.feed(bytes) { _ in }
            _ = try parser.finish()
            return nil
        } catch let error as InventoryError {
            return error.located
        } catch {
            return "\(error)"
        }
    }
}
