import GlacierModel
import Synchronization

/// The parsed archive list on its way to the build thread, which takes it out, so that no closure
/// keeps it alive after the build.
final class ArchiveHandoff: Sendable {
    private let list: Mutex<[InventoryArchive]>
    init(_ archives: [InventoryArchive]) { list = Mutex(archives) }
    func take() -> [InventoryArchive] {
        list.withLock { list in
            defer { list = [] }
            return list
        }
    }
}
