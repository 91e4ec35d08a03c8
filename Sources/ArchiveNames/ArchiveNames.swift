/// ArchiveNames: turns Glacier `ArchiveDescription`s into safe, stable file paths (no I/O).
///
/// Upload tools record a file's path, and often its modification time, in the description, each in
/// its own format. This module decodes them and builds a deterministic directory tree from a list
/// of archives. It is shared by the `archives/` view, `glacierfs retrieve --name` and `migrate`.
///
/// Public API (keep it small and stable; other features build on it):
/// - `ArchiveDescriptionDecoder.decode(_:archiveId:size:) -> DecodedDescription`: never fails.
///   Tries, in order: `MtAwsGlacierDecoder` (`mt2`, `mt1`), `FastGlacierDecoder` (v1–v4, QNAP HBS),
///   `CloudBerryDecoder`, `QNAPJSONDecoder`, `PlainTextDecoder`; a description none of them accepts,
///   or one with no usable path, becomes `_unnamed/<archive id>` (decoder `unnamed`).
/// - `DecodedDescription`: safe path components, recorded mtime, compressed/encrypted flags, whether
///   it marks a directory, and the decoder's name.
/// - `SafePath.components(of:)`: the sanitising rules, for any raw path bytes.
/// - `ArchiveTree.build(_:)`: resolves collisions and computes directory mtimes; the same inventory
///   always gives the same tree.
/// - `UTF7.decode(_:)`: the RFC 2152 decoder CloudBerry paths need.
public enum ArchiveNames {
    /// The top-level directory for archives with no usable name.
    public static let unnamedDirectory = "_unnamed"
}
