/// FastGlacier, also written by QNAP Hybrid Backup Sync:
/// - v2–v4: `<m><v>4</v><p>BASE64(UTF-8 path)</p><lm>yyyyMMddTHHmmssZ</lm><ce>c:e:md5[:size]</ce></m>`
///   (v3 has no size in `<ce>`; `<ce>` is optional); `c`/`e` are 1 when compressed/encrypted.
/// - v1: `<ArchiveMetadata><Path>BASE64</Path></ArchiveMetadata>`.
/// The whole may be quoted and padded with whitespace, and so may each value. A 1-byte archive whose
/// path ends in `/` is a directory. Sources: fastglacier.com `fastglacier-metadata-format.aspx`;
/// 6bee/qnap-backup-recovery-tool `README.md`; aws-solutions/amazon-s3-glacier-refreezer tests.
enum FastGlacierDecoder: DescriptionDecoder {
    static func decode(_ description: String, size: Int64) -> RawDecoding? {
        let text = Substring(description).trimmingSpaceAndQuotes()
        if text.hasPrefix("<m>") && text.hasSuffix("</m>") {
            guard let p = value(of: "p", in: text), let path = Base64.decode(p.utf8, alphabet: .standard) else {
                return nil
            }
            let version = value(of: "v", in: text).flatMap { Int($0) } ?? 4
            var result = RawDecoding(path: path, decoder: "fastglacier-v\(version)")
            result.modified = value(of: "lm", in: text).flatMap { RecordedTime.seconds($0) }
            if let ce = value(of: "ce", in: text) {
                let parts = ce.split(separator: ":", omittingEmptySubsequences: false)
                if parts.count >= 2, let c = Int(parts[0]), let e = Int(parts[1]) {
                    var flags: ArchiveFlags = []
                    if c == 1 { flags.insert(.compressed) }
                    if e == 1 { flags.insert(.encrypted) }
                    result.flags = flags
                }
            }
            result.isDirectory = size == 1 && (path.last == UInt8(ascii: "/") || path.last == UInt8(ascii: "\\"))
            return result
        }
        if text.hasPrefix("<ArchiveMetadata>") && text.hasSuffix("</ArchiveMetadata>") {
            guard let p = value(of: "Path", in: text), let path = Base64.decode(p.utf8, alphabet: .standard) else {
                return nil
            }
            var result = RawDecoding(path: path, decoder: "fastglacier-v1")
            result.isDirectory = size == 1 && (path.last == UInt8(ascii: "/") || path.last == UInt8(ascii: "\\"))
            return result
        }
        return nil
    }

    /// The trimmed text between `<tag>` and `</tag>`, or nil when the element is absent.
    static func value(of tag: String, in text: Substring) -> Substring? {
        guard let open = text.range(of: "<\(tag)>"),
            let close = text.range(of: "</\(tag)>", range: open.upperBound ..< text.endIndex)
        else { return nil }
        return text[open.upperBound ..< close.lowerBound].trimmingSpaceAndQuotes()
    }
}

extension Substring {
    /// Without surrounding whitespace and double quotes, as the tools' output is often wrapped.
    func trimmingSpaceAndQuotes() -> Substring {
        let skip: (Character) -> Bool = { $0 == "\"" || $0.isWhitespace }
        guard let first = firstIndex(where: { !skip($0) }), let last = lastIndex(where: { !skip($0) }) else {
            return self[endIndex...]
        }
        return self[first ... last]
    }
}
