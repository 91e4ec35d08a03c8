import Foundation

/// The INI files the AWS CLI reads: `~/.aws/credentials` (`[name]` sections) and `~/.aws/config`
/// (`[profile name]`, plus `[default]`).
struct AWSConfigFile {
    /// Settings by profile name.
    private(set) var profiles: [String: [String: String]] = [:]

    enum Kind { case credentials, config }

    init(contents: String, kind: Kind) {
        var current: String?
        var inNestedBlock = false
        for rawLine in contents.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let isIndented = rawLine.first == " " || rawLine.first == "\t"
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                current = Self.profileName(fromSection: String(line.dropFirst().dropLast()), kind: kind)
                inNestedBlock = false
                if let current, profiles[current] == nil { profiles[current] = [:] }
                continue
            }
            // Indented lines under `s3 =` and the like are nested settings we do not use.
            if isIndented && inNestedBlock { continue }
            guard let current, let eq = line.firstIndex(of: "=") else { continue }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            let value = Self.stripInlineComment(line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces))
            inNestedBlock = value.isEmpty
            if !value.isEmpty { profiles[current]?[key] = value }
        }
    }

    init(path: String, kind: Kind) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        self.init(contents: text, kind: kind)
    }

    /// `[profile x]` in the config file and `[x]` in the credentials file both name profile x;
    /// the config file's bare `[default]` is the default profile.
    static func profileName(fromSection section: String, kind: Kind) -> String? {
        let name = section.trimmingCharacters(in: .whitespaces)
        switch kind {
        case .credentials:
            return name
        case .config:
            if name == "default" { return "default" }
            let parts = name.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            if parts.count == 2 && parts[0] == "profile" { return parts[1].trimmingCharacters(in: .whitespaces) }
            return nil  // sso-session and services sections are not profiles
        }
    }

    /// ` ;` or ` #` after a value starts a comment, as in the AWS CLI.
    static func stripInlineComment(_ value: String) -> String {
        for marker in [" ;", " #", "\t;", "\t#"] {
            if let r = value.range(of: marker) { return value[..<r.lowerBound].trimmingCharacters(in: .whitespaces) }
        }
        return value
    }
}
