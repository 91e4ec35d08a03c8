import Foundation

/// A small `tree`-style printout of the mount: vaults, jobs (with what each retrieved), files
/// with their sizes. Long job ids are shortened; `ls` shows them whole.
enum DemoTree {
    /// - Parameters:
    ///   - labels: what each job directory holds, by job id; the order of `order` comes first.
    static func lines(mountpoint: String, labels: [String: String], order: [String], maxDepth: Int = 4) -> [String] {
        var out = [mountpoint]
        walk(mountpoint, prefix: "", depth: 1, maxDepth: maxDepth, labels: labels, order: order, into: &out)
        return out
    }

    private static func walk(
        _ path: String, prefix: String, depth: Int, maxDepth: Int, labels: [String: String],
        order: [String], into out: inout [String]
    ) {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted { a, b in
            let (ra, rb) = (order.firstIndex(of: a) ?? Int.max, order.firstIndex(of: b) ?? Int.max)
            return ra != rb ? ra < rb : a < b
        }
        for (index, name) in names.enumerated() {
            let last = index == names.count - 1
            let child = path + "/" + name
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: child, isDirectory: &isDirectory)
            var line = prefix + (last ? "└── " : "├── ")
            if isDirectory.boolValue {
                let shown = name.count > 16 ? String(name.prefix(12)) + "…" : name
                line += shown + "/"
                if let label = labels[name] { line += String(repeating: " ", count: max(1, 18 - shown.count)) + label }
                out.append(line)
                if depth < maxDepth {
                    walk(
                        child, prefix: prefix + (last ? "    " : "│   "), depth: depth + 1, maxDepth: maxDepth,
                        labels: labels, order: order, into: &out)
                }
            } else {
                let size =
                    (try? FileManager.default.attributesOfItem(atPath: child)[.size] as? NSNumber)?.int64Value ?? 0
                let padded = name.padding(toLength: max(name.count, 10), withPad: " ", startingAt: 0)
                out.append(line + padded + " " + ByteSize.format(size).leftPadded(to: 10))
            }
        }
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
