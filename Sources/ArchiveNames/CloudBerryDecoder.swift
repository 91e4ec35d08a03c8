/// CloudBerry: JSON `{"Path": P, "UTCDateModified": "yyyyMMddTHHmmssZ", "Flags": F}` where `P` is the
/// full source path (Windows separators and drive letters, or `bucket/dir/file`) encoded in UTF-7,
/// and `Flags` is 1 when compressed and 2 when encrypted. Sources: CloudBerry's own answer quoted at
/// tkhrssk.hatenablog.com (2021/08/22); examples in vsespb/mt-aws-glacier
/// `t/unit/glacier/inventory_csv.t` and aws-solutions/amazon-s3-glacier-refreezer `filenameparser.test.js`.
enum CloudBerryDecoder: DescriptionDecoder {
    static func decode(_ description: String, size: Int64) -> RawDecoding? {
        guard description.utf8.first(where: { $0 != 0x20 }) == UInt8(ascii: "{"), let object = FlatJSON(description),
            case .string(let encoded)? = object["Path"]
        else { return nil }
        // A Path that is not valid UTF-7 is kept as written: the tool wrote it, we cannot know better.
        let raw = String(decoding: encoded, as: UTF8.self)
        let path = UTF7.decode(raw).map { Array($0.utf8) } ?? encoded
        var result = RawDecoding(path: trimmingSpace(path), decoder: "cloudberry")
        if case .string(let date)? = object["UTCDateModified"] {
            result.modified = RecordedTime.seconds(String(decoding: date, as: UTF8.self))
        }
        if case .number(let flags)? = object["Flags"] {
            result.flags = ArchiveFlags(rawValue: Int(flags) & 3)
        }
        return result
    }
}
