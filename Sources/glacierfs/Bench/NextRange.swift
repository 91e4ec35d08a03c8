import Foundation
import Synchronization

/// Hands out consecutive ranges to parallel workers.
final class NextRange: Sendable {
    private let next = Mutex<Int64>(0)
    let size: Int64
    let step: Int64

    init(size: Int64, step: Int64) {
        self.size = size
        self.step = step
    }

    func take() -> Range<Int64>? {
        next.withLock { start in
            guard start < size else { return nil }
            defer { start += step }
            return start ..< min(start + step, size)
        }
    }

    /// Runs `io` on every range with `workers` threads at once, each with its own 4 KiB-aligned
    /// buffer of `step` bytes (handed first to `prepare`, with the worker's number). Returns the
    /// seconds taken, or the errno of a range that failed (EIO for a short transfer).
    func run(
        workers: Int,
        prepare: @escaping @Sendable (UnsafeMutableRawBufferPointer, Int) -> Void = { _, _ in },
        io: @escaping @Sendable (UnsafeMutableRawPointer, Range<Int64>) -> Bool
    ) -> Result<Double, POSIXError> {
        let failure = Atomic<Int32>(0)
        let done = DispatchGroup()
        let started = Date()
        for worker in 0 ..< workers {
            done.enter()
            Thread.detachNewThread {
                defer { done.leave() }
                let buffer = UnsafeMutableRawPointer.allocate(byteCount: Int(self.step), alignment: 4096)
                defer { buffer.deallocate() }
                prepare(UnsafeMutableRawBufferPointer(start: buffer, count: Int(self.step)), worker)
                while let range = self.take() {
                    errno = 0
                    if !io(buffer, range) {
                        failure.store(errno == 0 ? EIO : errno, ordering: .relaxed)
                        return
                    }
                }
            }
        }
        done.wait()
        let code = failure.load(ordering: .relaxed)
        guard code == 0 else { return .failure(POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)) }
        return .success(Date().timeIntervalSince(started))
    }
}
