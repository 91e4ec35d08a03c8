import NIOPosix

/// Runs blocking file work on the thread pool, never on an event loop.
struct BlockingIO: Sendable {
    let pool: NIOThreadPool

    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(body)
    }
}
