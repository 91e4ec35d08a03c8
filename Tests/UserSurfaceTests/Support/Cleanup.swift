import Foundation
import GlacierTestSupport

/// Runs `body`, then `cleanup` (off the pool) however `body` ends.
func withCleanup<T>(_ cleanup: @escaping @Sendable () -> Void, _ body: () async throws -> T) async throws -> T {
    let result: Result<T, any Error>
    do { result = .success(try await body()) } catch { result = .failure(error) }
    _ = try? await offPool(cleanup)
    return try result.get()
}
