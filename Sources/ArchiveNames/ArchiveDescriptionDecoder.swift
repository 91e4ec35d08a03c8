/// Decodes any description: tries each known format in turn, and never fails.
public enum ArchiveDescriptionDecoder {
    static let chain: [any DescriptionDecoder.Type] = [
        MtAwsGlacierDecoder.self, FastGlacierDecoder.self, CloudBerryDecoder.self, QNAPJSONDecoder.self,
        PlainTextDecoder.self,
    ]

    /// - Parameters:
    ///   - description: the `ArchiveDescription`, exactly as stored.
    ///   - archiveId: names the archive when the description gives no usable path.
    ///   - size: the archive's size (FastGlacier marks directories with 1-byte archives).
    public static func decode(_ description: String, archiveId: String, size: Int64) -> DecodedDescription {
        for decoder in chain {
            guard let raw = decoder.decode(description, size: size) else { continue }
            guard let components = SafePath.components(of: raw.path) else {
                // The format is recognised but names nothing (e.g. `{"Path": ""}`): keep what else it says.
                var named = unnamed(archiveId: archiveId)
                named.modified = raw.modified
                named.flags = raw.flags
                return named
            }
            return DecodedDescription(
                components: components, modified: raw.modified, flags: raw.flags,
                isDirectory: raw.isDirectory, decoder: raw.decoder)
        }
        return unnamed(archiveId: archiveId)
    }

    /// `_unnamed/<archive id>`, with the id made safe too (ids come from the inventory).
    public static func unnamed(archiveId: String) -> DecodedDescription {
        let id = SafePath.components(of: Array(archiveId.utf8))?.joined(separator: "_") ?? "archive"
        return DecodedDescription(
            components: [ArchiveNames.unnamedDirectory, id], modified: nil, flags: nil,
            isDirectory: false, decoder: "unnamed")
    }
}
