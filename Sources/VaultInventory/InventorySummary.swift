/// What an inventory says about itself, once all of it has been read.
public struct InventorySummary: Sendable, Equatable {
    /// From the JSON form; the CSV form has neither.
    public var vaultARN: String?
    public var inventoryDate: String?
    public var archiveCount: Int

    public init(vaultARN: String?, inventoryDate: String?, archiveCount: Int) {
        self.vaultARN = vaultARN
        self.inventoryDate = inventoryDate
        self.archiveCount = archiveCount
    }
}
