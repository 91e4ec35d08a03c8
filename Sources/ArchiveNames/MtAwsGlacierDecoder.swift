/// mt-aws-glacier: `mt2 ` + unpadded base64url of UTF-8 JSON `{"filename": F, "mtime": "YYYYMMDDTHHMMSSZ"}`
/// (keys in any order; `filename` relative with `/` separators). `mt1` (versions 0.80–0.84beta)
/// double-encoded the JSON (latin1 → UTF-8), so it is UTF-8-decoded once more. `mtijob1` marks job
/// descriptions, never archives. Source: vsespb/mt-aws-glacier `lib/App/MtAws/MetaData.pm`.
enum MtAwsGlacierDecoder: DescriptionDecoder {
    static func decode(_ description: String, size: Int64) -> RawDecoding? {
        // MetaData.pm splits on whitespace: the marker, then the base64 (at most 1,024 bytes).
        let words = description.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard words.count == 2, words[0] == "mt1" || words[0] == "mt2", words[1].utf8.count <= 1024,
            var json = Base64.decode(words[1].utf8, alphabet: .url)
        else { return nil }
        if words[0] == "mt1" {
            guard let undone = undoLatin1ToUTF8(json) else { return nil }
            json = undone
        }
        guard let text = String(validating: json, as: UTF8.self), let object = FlatJSON(text),
            case .string(let filename)? = object["filename"], case .string(let mtime)? = object["mtime"],
            let modified = RecordedTime.seconds(String(decoding: mtime, as: UTF8.self))
        else { return nil }
        return RawDecoding(path: filename, modified: modified, decoder: String(words[0]))
    }

    /// The bytes whose latin1 reading was encoded as the UTF-8 `bytes`; nil if that is not what they are.
    static func undoLatin1ToUTF8(_ bytes: [UInt8]) -> [UInt8]? {
        guard let text = String(validating: bytes, as: UTF8.self) else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        for scalar in text.unicodeScalars {
            guard scalar.value <= 0xFF else { return nil }
            out.append(UInt8(scalar.value))
        }
        return out
    }
}
