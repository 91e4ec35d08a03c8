/// One upload tool's description format. A decoder returns nil for anything that is not exactly
/// its format, so the chain in `ArchiveDescriptionDecoder` can try the next one.
protocol DescriptionDecoder: Sendable {
    static func decode(_ description: String, size: Int64) -> RawDecoding?
}

/// A decoder's result before the path is made safe.
struct RawDecoding {
    /// The path as the tool recorded it: bytes, since a tool may have stored any encoding.
    var path: [UInt8]
    var modified: Int64? = nil
    var flags: ArchiveFlags? = nil
    var isDirectory = false
    var decoder: String
}

/// `bytes` without leading and trailing ASCII whitespace (JSON paths are sometimes padded).
func trimmingSpace(_ bytes: [UInt8]) -> [UInt8] {
    let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0a || $0 == 0x0d }
    guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) })
    else { return [] }
    return Array(bytes[first ... last])
}
