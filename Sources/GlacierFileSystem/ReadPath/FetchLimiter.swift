/// Caps how many GetJobOutput requests run at once, across all outputs.
final class FetchLimiter: Sendable {
    private let gate: AsyncGate<Int>

    init(slots: Int) { gate = AsyncGate(max(1, slots)) }

    func acquire() async {
        await gate.wait { (available: inout Int) -> Void? in
            guard available > 0 else { return nil }
            available -= 1
            return ()
        }
    }

    func release() { gate.update { $0 += 1 } }
}
