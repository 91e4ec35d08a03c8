import Foundation

/// Where tests find the repository, the shared test data and the built executables.
public enum TestPaths {
    /// The repository root, found from this file's location.
    public static let repositoryRoot: URL = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }()

    /// The directory holding the built executables: the test bundle's own directory.
    public static let buildDirectory: URL = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent()
    }()

    /// A built executable of this package, e.g. `glacierfs` or `glacier-emulator`.
    public static func binary(_ name: String) -> String {
        buildDirectory.appendingPathComponent(name).path
    }

    /// `../shared/testdata` beside the checkout (override with GLACIERFS_TESTDATA).
    public static let sharedTestData: URL = {
        if let env = ProcessInfo.processInfo.environment["GLACIERFS_TESTDATA"] {
            return URL(fileURLWithPath: env)
        }
        return repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/testdata")
    }()
}
