/// Takes the description itself as the path, as glacier-cli and most plain uploaders wrote it.
/// A stand-in until the shared decoders are plugged in.
public struct PlainTextNaming: ArchiveNaming {
    public init() {}

    public func decode(description: String, archiveId: String) -> DecodedName {
        DecodedName(path: description.isEmpty ? nil : description, decoder: "plain")
    }
}
