import Foundation

/// Where tests find the repository, the shared test data and the built executables.
public enum TestPaths {
    /// The repository root, found from this file's location.
    public static let repositoryRoot: URL = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }()

    /// `../shared/testdata` beside the checkout (override with GLACIERFS_TESTDATA).
    public static let sharedTestData: URL = {
        if let env = ProcessInfo.processInfo.environment["GLACIERFS_TESTDATA"] {
            return URL(fileURLWithPath: env)
        }
        return repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/testdata")
    }()
}
