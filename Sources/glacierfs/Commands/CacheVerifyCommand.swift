import ArgumentParser
import Foundation
import GlacierIntegrity
import OutputCache

/// `glacierfs cache verify`: an audit of everything cached, for before a migration's source is
/// deleted. Reads check only the leaves they touch (and small random reads only the CRCs of their
/// blocks); this re-hashes every cached leaf, checks every block CRC, and checks each complete
/// output's root against its job's tree hash.
struct CacheVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Re-check every cached leaf against its SHA-256 and block checksums, and each complete output "
            + "against its job's tree hash; drop whatever fails (unmount first).")

    @OptionGroup var location: CacheLocation

    func run() throws {
        let cache = try location.openForChanges()
        defer { cache.flush() }
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: TreeHash.leafSize, alignment: 4096)
        defer { scratch.deallocate() }
        let entries = cache.allEntries.sorted {
            ($0.descriptor.key.vault, $0.descriptor.key.jobId) < ($1.descriptor.key.vault, $1.descriptor.key.jobId)
        }
        let progress = ProgressDisplay()
        var table = TextTable(header: ["VAULT", "JOB", "LEAVES CHECKED", "DROPPED", "WHOLE OUTPUT"])
        var dropped = 0, mismatched = 0, checked = 0
        for (n, entry) in entries.enumerated() {
            let key = entry.descriptor.key
            let leaves = entry.cachedLeaves
            var bad = 0
            for (i, leaf) in leaves.enumerated() {
                if i % 64 == 0 {
                    progress.update(
                        "output \(n + 1) of \(entries.count): \(key.vault)/\(CacheStatusCommand.shortId(key.jobId))",
                        fraction: Double(i) / Double(max(1, leaves.count)))
                }
                if !entry.auditLeaf(leaf, scratch: scratch) { bad += 1 }
            }
            checked += leaves.count
            dropped += bad
            let whole: String
            let kind = entry.descriptor.kind
            if let check = entry.computeWholeOutputCheck() {
                cache.record(check, for: entry)
                if check.result == .matched {
                    whole = "matches the job's tree hash"
                } else {
                    whole = "DOES NOT MATCH the job's tree hash: output dropped"
                    mismatched += 1
                }
            } else if entry.wholeOutputCheck?.result == .mismatched {
                whole = "root mismatch recorded earlier: output dropped, refused"
                mismatched += 1
            } else if kind == .inventory {
                whole =
                    entry.wholeOutputCheck?.result == .matched
                    ? "inventory: parsed whole when downloaded (Glacier sends no checksum)"
                    : "inventory, not yet parsed whole"
            } else if kind == .unverified {
                whole = "UNVERIFIED: size checks only (Glacier sends no checksum for this range)"
            } else {
                whole = "partly cached (\(entry.knownDigestCount) of \(entry.geometry.leafCount) leaf digests known)"
            }
            table.rows.append([key.vault, CacheStatusCommand.shortId(key.jobId), "\(leaves.count)", "\(bad)", whole])
        }
        progress.finish("checked \(checked) cached leaves of \(entries.count) output(s) in \(cache.directory)")
        if !table.rows.isEmpty { print(table.render()) }
        if dropped > 0 || mismatched > 0 {
            throw UserFacingError(
                "\(dropped) leaf(s) failed their SHA-256 and were dropped; \(mismatched) output(s) do not "
                    + "match their job's tree hash and were dropped (retrieve them with a new job). Dropped leaves are "
                    + "fetched again on the next read.",
                exitCode: GlacierExit.integrity)
        }
    }
}
