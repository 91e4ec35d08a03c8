import Foundation

/// Runs blocking work (waiting for a child process, reading through a FUSE mount) on a thread
/// of its own. Swift Testing runs tests on the cooperative pool, which has one thread per core,
/// and the in-process emulator answers requests on that same pool: a test that blocks a pool
/// thread while its mount waits for the emulator can starve every emulator in the run.
func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
    }
}

/// Runs `body`, then `cleanup` (off the pool) however `body` ends.
func withCleanup<T>(_ cleanup: @escaping @Sendable () -> Void, _ body: () async throws -> T) async throws -> T {
    let result: Result<T, any Error>
    do { result = .success(try await body()) } catch { result = .failure(error) }
    _ = try? await offPool(cleanup)
    return try result.get()
}
