/// Everything else (glacier-cli, glacier-cmd, glacieruploader, the AWS CLI, boto, Arq): the whole
/// description, less surrounding whitespace, is the path.
enum PlainTextDecoder: DescriptionDecoder {
    static func decode(_ description: String, size: Int64) -> RawDecoding? {
        let trimmed = Substring(description).drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace)
        guard !trimmed.isEmpty else { return nil }
        return RawDecoding(path: Array(String(trimmed.reversed()).utf8), decoder: "plain-text")
    }
}
