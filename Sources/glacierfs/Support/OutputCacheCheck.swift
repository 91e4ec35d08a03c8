import Foundation
import OutputCache

enum OutputCacheCheck {
    /// Fails early if another process holds the cache, or it cannot be created.
    static func ensureUsable(_ directory: String) throws {
        do {
            _ = try OutputCache.probeLock(directory: directory)
        } catch {
            throw UserFacingError(error.description, exitCode: GlacierExit.cache)
        }
    }
}
