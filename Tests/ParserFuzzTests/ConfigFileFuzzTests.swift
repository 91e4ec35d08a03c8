import Foundation
import Testing

@testable import AWSCredentials

/// `~/.aws/credentials` and `~/.aws/config` parsing: random INI-ish text never traps, and known
/// profiles come through comment, blank-line, indentation and line-ending noise unchanged.
@Suite struct ConfigFileFuzzTests {
    static let keys = [
        "aws_access_key_id", "aws_secret_access_key", "aws_session_token", "region", "output",
        "role_arn", "source_profile", "credential_process", "Region", "AWS_ACCESS_KEY_ID",
    ]

    static func value(_ r: inout FuzzRandom) -> String {
        r.pick([
            "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1", "json",
            "arn:aws:iam::123456789012:role/x", "aws-vault exec a --json", "a=b", "x#y", "x;y", "é",
            "IQoJb3JpZ2luX2VjEJr//////////wEaCXVz", String(r.int(0 ... 1_000_000)),
        ])
    }

    static func profileName(_ r: inout FuzzRandom) -> String {
        r.pick(["default", "dev", "prod-eu", "a_b", "x1", "Team.Admin", "p\(r.int(0 ... 99))"])
    }

    /// Noise lines that must change nothing: blank, white space only, and comments.
    static func noise(_ r: inout FuzzRandom) -> String {
        r.pick([
            "", " ", "\t", "# comment", "; comment", "   # indented comment", "#[profile fake]", ";key = value",
            "\t;x=y",
        ])
    }

    @Test func knownProfilesSurviveNoise() {
        fuzz("AWSConfigFile profiles") { r, run in
            let kind: AWSConfigFile.Kind = r.bool() ? .credentials : .config
            var expected: [String: [String: String]] = [:]
            var lines: [String] = []
            var nestedOpen = false  // after `s3 =`, indented lines belong to the nested block
            func addNoise(_ r: inout FuzzRandom) {
                for _ in 0 ..< r.int(0 ... 2) { lines.append(Self.noise(&r)) }
            }
            addNoise(&r)
            for _ in 0 ..< r.int(0 ... 4) {
                let name = Self.profileName(&r)
                let header =
                    kind == .credentials || name == "default" && r.bool()
                    ? "[\(name)]"
                    : "[profile\(r.pick([" ", "  "]))\(name)]"
                lines.append(r.pick(["", " ", "\t"]) + header + r.pick(["", " "]))
                nestedOpen = false
                if expected[name] == nil { expected[name] = [:] }
                addNoise(&r)
                for _ in 0 ..< r.int(0 ... 5) {
                    if r.oneIn(5) {
                        lines.append("s3 =")
                        lines.append("    max_concurrent_requests = \(r.int(1 ... 50))")
                        nestedOpen = true
                        continue
                    }
                    let key = r.pick(Self.keys)
                    let value = Self.value(&r)
                    let indent = nestedOpen ? "" : r.pick(["", "", " ", "\t"])
                    let comment = r.oneIn(4) ? r.pick([" # note", " ; note", "\t# note"]) : ""
                    lines.append(indent + key + r.pick(["=", " = ", "  =\t"]) + value + comment + r.pick(["", " "]))
                    nestedOpen = false
                    expected[name]![key.lowercased()] = value
                    addNoise(&r)
                }
                if kind == .config && r.oneIn(4) {  // sections that are not profiles
                    lines.append(r.pick(["[sso-session corp]", "[services local]"]))
                    lines.append("sso_region = us-east-1")
                    nestedOpen = false
                }
            }
            let text = lines.joined(separator: r.pick(["\n", "\r\n"])) + r.pick(["", "\n"])
            let parsed = AWSConfigFile(contents: text, kind: kind)
            run.expect(
                parsed.profiles == expected, "\(kind) file \(show(text)): \(parsed.profiles), reference \(expected)")
        }
    }

    @Test func randomTextNeverTraps() {
        fuzz("AWSConfigFile random text") { r, run in
            var text = TextMutator.text(&r, maxLength: 80)
            if r.bool() {
                text = TextMutator.mutate(
                    "[default]\nregion = us-east-1\n[profile x]\ns3 =\n  a = b\nkey=v ;c\n", &r, rounds: 6)
            }
            let kind: AWSConfigFile.Kind = r.bool() ? .credentials : .config
            let parsed = AWSConfigFile(contents: text, kind: kind)
            if parsed.profiles.isEmpty { run.reject() }
            // Whatever it reads, names and keys are trimmed and keys lower case.
            for (name, settings) in parsed.profiles {
                run.expect(name == name.trimmingCharacters(in: .whitespaces), "\(show(text)): profile \(show(name))")
                for (key, value) in settings {
                    run.expect(
                        key == key.lowercased() && !value.isEmpty, "\(show(text)): \(show(key)) = \(show(value))")
                }
            }
        }
    }
}
