/// Waits until `condition` holds, looking every 5 ms, for at most `timeout`: for a test to wait on
/// something another task or thread makes happen, without a fixed sleep that a loaded machine
/// outlasts. The caller still asserts the condition, so a timeout fails the test.
public func eventually(within timeout: Duration = .seconds(5), _ condition: () -> Bool) async throws {
    let start = ContinuousClock.now
    while !condition() && ContinuousClock.now - start < timeout {
        try await Task.sleep(for: .milliseconds(5))
    }
}
