/// Bytes handed to the cache writers and not yet on disk. New fetches wait while it is over its
/// limit, so a disk slower than the network slows the downloads down instead of filling memory
/// with leaves waiting to be written, which would push out prefetched leaves not yet read.
final class WriteBacklog: Sendable {
    let limit: Int
    private let gate = AsyncGate(0)

    init(limit: Int) { self.limit = limit }

    func add(_ count: Int) { gate.withState { $0 += count } }

    func remove(_ count: Int) { gate.update { $0 -= count } }

    /// Returns once the backlog is within its limit.
    func waitForRoom() async {
        await gate.wait { [limit] bytes in bytes <= limit ? () : nil }
    }
}
