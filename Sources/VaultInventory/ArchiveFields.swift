import GlacierModel

/// The checks every inventory entry must pass, whatever its format. Each returns the problem, or nil.
enum ArchiveFields {
    static func idProblem(_ id: String) -> String? {
        if id.isEmpty { return "ArchiveId is empty" }
        // Ids are URL-safe base64; anything outside printable ASCII cannot be one and would be unsafe in a path.
        guard id.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "/") }) else {
            return "ArchiveId \(quoted(id)) has characters an archive id never has"
        }
        return nil
    }

    static func dateProblem(_ field: String, _ value: String) -> String? {
        GlacierTimestamp.parse(value) == nil ? "\(field) \(quoted(value)) is not an ISO 8601 UTC time" : nil
    }

    static func treeHashProblem(_ hash: String) -> String? {
        let ok =
            hash.utf8.count == 64
            && hash.utf8.allSatisfy {
                ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) || ($0 >= 0x41 && $0 <= 0x46)
            }
        return ok ? nil : "SHA256TreeHash \(quoted(hash)) is not 64 hex digits"
    }

    /// A non-negative integer written with digits only.
    static func size<C: Collection<UInt8>>(_ text: C) -> Int64? {
        guard !text.isEmpty, text.count <= 19 else { return nil }
        var v: Int64 = 0
        for c in text {
            guard c >= 0x30 && c <= 0x39 else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(c - 0x30))
            guard !o1, !o2 else { return nil }
            v = a
        }
        return v
    }

    /// A value for an error message: quoted, and cut when long.
    static func quoted(_ s: String) -> String {
        let cut = s.count > 80 ? String(s.prefix(80)) + "…" : s
        return "\"" + cut + "\""
    }
}
