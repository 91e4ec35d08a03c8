/// The older QNAP "Glacier" app: JSON `{"path": "/sample/1234.pdf", "type": "file"}`.
/// Source: 6bee/qnap-backup-recovery-tool `README.md`.
enum QNAPJSONDecoder: DescriptionDecoder {
    static func decode(_ description: String, size: Int64) -> RawDecoding? {
        guard description.utf8.first(where: { $0 != 0x20 }) == UInt8(ascii: "{"), let object = FlatJSON(description),
            case .string(let path)? = object["path"]
        else { return nil }
        return RawDecoding(path: trimmingSpace(path), decoder: "qnap-json")
    }
}
