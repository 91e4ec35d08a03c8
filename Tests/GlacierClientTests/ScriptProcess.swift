import Foundation
import GlacierTestSupport

/// A helper script started for one test, which prints the port it listens on first.
enum ScriptProcess {
    static func start(_ script: String, _ arguments: [String]) throws -> (ChildProcess, port: Int) {
        let child = try ChildProcess.start("python3", [path(script)] + arguments)
        guard let line = child.waitForLine(timeout: 20, where: { Int($0) != nil }), let port = Int(line) else {
            child.stop()
            throw SeedError("\(script) did not print a port: \(child.output)")
        }
        return (child, port)
    }

    static func path(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts/\(name)").path
    }
}
