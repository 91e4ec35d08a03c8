import GlacierIntegrity
import GlacierModel

/// The rule of when a tree hash goes with a range of bytes (design.md §2), worked out from the
/// leaf digests stored at upload, never by hashing the data again.
enum RangeTreeHash {
    /// `whole` for the whole thing (or no range), the node's root for a tree-hash-aligned range,
    /// nil otherwise. `leaves` are the leaf digests of all `size` bytes.
    static func of(
        _ range: InclusiveByteRange?, size: Int64, leaves: ArraySlice<SHA256Digest>, whole: String
    ) -> String? {
        guard let range, range.length != size else { return whole }
        let geometry = TreeGeometry(size: size)
        guard geometry.isTreeHashAligned(range.halfOpen) else { return nil }
        let run = geometry.leaves(covering: range.halfOpen)
        let base = leaves.startIndex
        return TreeHash.root(of: leaves[(base + run.lowerBound) ..< (base + run.upperBound)]).hex
    }
}
