import Foundation

/// The environment and file locations credential resolution reads. Tests pass their own.
public struct AWSEnvironment: Sendable {
    public var variables: [String: String]
    public var homeDirectory: String

    public init(
        variables: [String: String] = ProcessInfo.processInfo.environment,
        homeDirectory: String? = nil
    ) {
        self.variables = variables
        self.homeDirectory = homeDirectory ?? variables["HOME"] ?? NSHomeDirectory()
    }

    public subscript(_ name: String) -> String? {
        guard let v = variables[name], !v.isEmpty else { return nil }
        return v
    }

    var credentialsFilePath: String { expand(self["AWS_SHARED_CREDENTIALS_FILE"] ?? "~/.aws/credentials") }
    var configFilePath: String { expand(self["AWS_CONFIG_FILE"] ?? "~/.aws/config") }

    func expand(_ path: String) -> String {
        if path == "~" { return homeDirectory }
        if path.hasPrefix("~/") { return homeDirectory + path.dropFirst(1) }
        return path
    }

    /// The profile to use: an explicit one, else AWS_PROFILE, else "default".
    func profileName(explicit: String?) -> String { explicit ?? self["AWS_PROFILE"] ?? "default" }

    func loadCredentialsFile() -> AWSConfigFile? {
        try? AWSConfigFile(path: credentialsFilePath, kind: .credentials)
    }

    func loadConfigFile() -> AWSConfigFile? {
        try? AWSConfigFile(path: configFilePath, kind: .config)
    }
}
