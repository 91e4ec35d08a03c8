import Dispatch
import Foundation

extension ProgressDisplay {
    /// Runs async work from synchronous code, turning a spinner that shows the elapsed time
    /// until the work ends, then prints `done` (given the result) as a finished line.
    func spin<T: Sendable>(
        _ message: String, done: (T) -> String,
        _ operation: @escaping @Sendable () async throws -> T
    ) throws -> T {
        let finished = DispatchSemaphore(value: 0)
        let box = ResultBox<T>()
        Task.detached {
            do { box.set(.success(try await operation())) } catch { box.set(.failure(error)) }
            finished.signal()
        }
        let start = Date()
        update(message)
        while finished.wait(timeout: .now() + .milliseconds(100)) == .timedOut {
            update(message + String(format: " %.1f s", Date().timeIntervalSince(start)))
        }
        do {
            let result = try box.get()
            finish("✓ " + done(result))
            return result
        } catch {
            finish("✗ " + message)
            throw error
        }
    }
}
