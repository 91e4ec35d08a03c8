#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `--include` and `--exclude` globs, matched against an archive's path in the plan. `*` and `?`
/// also match `/`, so `*.jpg` selects JPEGs at any depth. With includes, a path must match one;
/// it must match no exclude.
public struct PathFilter: Sendable {
    public let include: [String]
    public let exclude: [String]

    public init(include: [String], exclude: [String]) {
        self.include = include
        self.exclude = exclude
    }

    public func selects(_ path: String) -> Bool {
        if !include.isEmpty && !include.contains(where: { Self.matches($0, path) }) { return false }
        return !exclude.contains { Self.matches($0, path) }
    }

    static func matches(_ pattern: String, _ path: String) -> Bool {
        fnmatch(pattern, path, 0) == 0
    }
}
