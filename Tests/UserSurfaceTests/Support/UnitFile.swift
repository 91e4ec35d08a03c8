import Foundation

/// Just enough of systemd's unit-file syntax to check the glacierfs@.service template and run
/// its commands the way systemd would.
struct UnitFile {
    private var entries: [(section: String, key: String, value: String)] = []

    init(text: String) {
        var section = ""
        for raw in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                section = String(line.dropFirst().dropLast())
            } else if let equals = line.firstIndex(of: "=") {
                entries.append(
                    (
                        section, line[..<equals].trimmingCharacters(in: .whitespaces),
                        line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
                    ))
            }
        }
    }

    func values(_ section: String, _ key: String) -> [String] {
        entries.filter { $0.section == section && $0.key == key }.map(\.value)
    }

    func value(_ section: String, _ key: String) -> String? { values(section, key).last }

    /// An Exec*= line as argv: prefixes like `-` dropped, `%f`/`%i` replaced, `$VAR` split into
    /// words and `${VAR}` kept as one, as systemd does. The template uses no quoting.
    static func command(
        _ line: String, instancePath: String, instance: String, environment: [String: String]
    ) -> [String] {
        let body = line.drop { "-@:+!".contains($0) }
        return body.split(separator: " ", omittingEmptySubsequences: true).flatMap { word -> [String] in
            var w = String(word)
            if w.hasPrefix("$") && !w.hasPrefix("${") {
                return (environment[String(w.dropFirst())] ?? "").split(separator: " ").map(String.init)
            }
            for (name, value) in environment { w = w.replacingOccurrences(of: "${\(name)}", with: value) }
            w = w.replacingOccurrences(of: "%f", with: instancePath).replacingOccurrences(of: "%i", with: instance)
            return [w]
        }
    }
}
