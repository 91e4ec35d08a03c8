import Foundation

/// Where tests find the repository, the fixtures and the built executables.
public enum TestPaths {
    /// The repository root, found from this file's location.
    public static let repositoryRoot: URL = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }()

    /// The directory holding the built executables: the test bundle's own directory, or
    /// GLACIERFS_BIN_DIR (`.ci/run` points it at a release build, to test what users run).
    public static let buildDirectory: URL = {
        if let env = ProcessInfo.processInfo.environment["GLACIERFS_BIN_DIR"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        let exe =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent()
    }()

    /// A built executable of this package, e.g. `glacierfs` or `glacier-emulator`.
    public static func binary(_ name: String) -> String {
        buildDirectory.appendingPathComponent(name).path
    }

    /// Tests/Fixtures in this checkout (override with GLACIERFS_TESTDATA).
    public static let fixtures: URL = {
        if let env = ProcessInfo.processInfo.environment["GLACIERFS_TESTDATA"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        return repositoryRoot.appendingPathComponent("Tests/Fixtures")
    }()

    /// A fixture's URL, or an error naming where it was looked for (a missing fixture fails the
    /// test that needs it, rather than crashing the run or letting it pass on nothing).
    public static func fixture(_ name: String) throws -> URL {
        let url = fixtures.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw SeedError(
                "missing test fixture \(url.path): restore it from git (Tests/Fixtures/README.md says "
                    + "where it comes from), or point GLACIERFS_TESTDATA at a folder holding it")
        }
        return url
    }
}
