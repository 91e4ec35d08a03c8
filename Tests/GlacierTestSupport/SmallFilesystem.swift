import Foundation

/// A small tmpfs (for a cache or a destination that must fill up or be read-only), unmounted in
/// every exit path.
public enum SmallFilesystem {
    public static func with(
        megabytes: Int, options: String = "mode=0700", _ body: (String) async throws -> Void
    ) async throws {
        let dir = TempDirectory.make("tmpfs").path
        let r = try await Command.run(
            "/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m,\(options)", "tmpfs", dir])
        guard r.status == 0 else { throw SeedError("cannot mount a tmpfs: \(r.output)") }
        do {
            try await body(dir)
            _ = try? await Command.run("/bin/umount", ["-l", dir])
        } catch {
            _ = try? await Command.run("/bin/umount", ["-l", dir])
            throw error
        }
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// Changes the size or options of a tmpfs mounted by `with`.
    public static func remount(_ dir: String, options: String) async throws {
        let r = try await Command.run("/bin/mount", ["-o", "remount,\(options)", dir])
        guard r.status == 0 else { throw SeedError("cannot remount \(dir): \(r.output)") }
    }
}
