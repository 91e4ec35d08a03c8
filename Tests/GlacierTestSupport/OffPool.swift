import Foundation

/// Runs blocking work (waiting for a child process, sockets, reading through a FUSE mount) on a
/// thread of its own. Swift Testing runs tests on the cooperative pool, which has one thread per
/// core, and an in-process emulator answers requests on that same pool: a test that blocks a
/// pool thread while its mount waits for the emulator can starve every emulator in the run.
public func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
    }
}
