import Foundation

/// What a demo has set up, saved after every step so that `--stop` (or a second run on the same
/// directory) can undo a demo that was interrupted halfway. Holds no credentials.
struct DemoState: Codable, Sendable {
    var mountpoint: String
    /// Whether the demo made the mountpoint directory (and so removes it again).
    var createdMountpoint: Bool
    var startedAt: Date
    var emulatorPid: Int32?
    var endpoint: String?
    /// The mount daemon, once mounted.
    var daemonPid: Int32?
    /// Seeded, mounted and shown.
    var ready = false

    init(mountpoint: String, createdMountpoint: Bool) {
        self.mountpoint = mountpoint
        self.createdMountpoint = createdMountpoint
        startedAt = Date()
    }

    static func load(_ layout: DemoLayout) -> DemoState? {
        guard let data = FileManager.default.contents(atPath: layout.stateFile) else { return nil }
        return try? decoder.decode(DemoState.self, from: data)
    }

    func save(_ layout: DemoLayout) throws {
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            try encoder.encode(self).write(to: URL(fileURLWithPath: layout.stateFile), options: .atomic)
        } catch {
            throw UserFacingError(
                "cannot write the demo's state file \(layout.stateFile): \(error.localizedDescription). "
                    + "Check that the directory is writable, or set XDG_CACHE_HOME to a writable place.")
        }
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
