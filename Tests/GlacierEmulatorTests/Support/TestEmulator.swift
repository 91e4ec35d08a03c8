import Foundation
import GlacierEmulator

/// Test keys; the emulator requires them when a test asks for signing.
enum TestKeys {
    static let accessKey = "AKIDEMULATORTEST"
    static let secretKey = "emulator/test/secret+key"
    static let region = "us-east-1"
}

/// Runs `body` against an in-process emulator on a fresh temp directory, and stops the server
/// and removes the directory on every exit path.
func withEmulator<T>(
    signed: Bool = false, configure: (inout EmulatorConfiguration) -> Void = { _ in },
    _ body: (GlacierEmulatorServer, ScratchDirectory) async throws -> T
) async throws -> T {
    let dir = try ScratchDirectory()
    defer { dir.remove() }
    var configuration = EmulatorConfiguration(
        dataDirectory: dir.url.appendingPathComponent("data"),
        eventLoopThreads: 2, fileIOThreads: 2)
    if signed {
        configuration.credentials = EmulatorCredentials(
            accessKeyId: TestKeys.accessKey,
            secretAccessKey: TestKeys.secretKey)
    }
    configure(&configuration)
    let server = try await GlacierEmulatorServer.start(configuration)
    do {
        let result = try await body(server, dir)
        try await server.stop()
        return result
    } catch {
        try? await server.stop()
        throw error
    }
}
