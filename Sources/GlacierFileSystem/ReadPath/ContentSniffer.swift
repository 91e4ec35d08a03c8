/// The media type of an output, told from its first bytes, so file managers can show what an
/// archive holds (Glacier only ever says `application/octet-stream`). Only signatures that cannot
/// be mistaken are used; anything else is nil.
public enum ContentSniffer {
    /// How many leading bytes `mediaType` needs to see every signature (tar's is at 257).
    public static let headLength = 262

    private static let signatures: [(offset: Int, bytes: [UInt8], type: String)] = [
        (257, Array("ustar".utf8), "application/x-tar"),  // POSIX and GNU tar headers
        (0, [0x1F, 0x8B], "application/gzip"),
        (0, [0x50, 0x4B, 0x03, 0x04], "application/zip"),
        (0, [0x50, 0x4B, 0x05, 0x06], "application/zip"),  // an empty zip
        (0, [0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C], "application/x-7z-compressed"),
        (0, Array("%PDF-".utf8), "application/pdf"),
        (0, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "image/png"),
        (0, [0xFF, 0xD8, 0xFF], "image/jpeg"),
    ]

    /// The type whose signature `head` (the output's first bytes) carries, or nil.
    public static func mediaType(_ head: UnsafeRawBufferPointer) -> String? {
        for s in signatures where head.count >= s.offset + s.bytes.count {
            if head[s.offset ..< s.offset + s.bytes.count].elementsEqual(s.bytes) { return s.type }
        }
        return nil
    }
}
