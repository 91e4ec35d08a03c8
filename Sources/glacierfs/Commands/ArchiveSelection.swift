import ArchiveNames
import Foundation
import GlacierClient
import GlacierModel
import VaultInventory

/// The archives `glacierfs retrieve --name` means: the vault's newest downloadable inventory, named
/// as `<vault>/archives/` names it (ArchiveNames), matched against paths or globs.
enum ArchiveSelection {
    struct Match {
        var path: String
        var archive: InventoryArchive
    }

    /// Every archive whose decoded path equals a pattern or matches it as a glob (`*` and `?` also
    /// match `/`, so `photos/*` takes the whole subtree).
    static func matches(
        client: GlacierClient, vault: String, patterns: [String]
    ) async throws -> (inventoryJob: String, [Match]) {
        let jobs = try await client.listJobs(vault: vault).jobs
        guard
            let inventory = jobs.filter({ $0.isInventoryRetrieval && $0.hasSucceeded && $0.inventorySizeInBytes != nil }
            )
            .max(by: { ($0.completionDate ?? "", $0.jobId) < ($1.completionDate ?? "", $1.jobId) })
        else {
            throw UserFacingError(
                "vault \(vault) has no downloadable inventory to find names in; run "
                    + "`glacierfs inventory \(vault) --wait` first", exitCode: GlacierExit.failure)
        }
        let archives = try await download(client: client, vault: vault, inventory: inventory)
        let tree = ArchiveTree.build(archives)
        let selected = tree.files.filter { file in patterns.contains { Self.matches(file.path, $0) } }
        return (inventory.jobId, selected.map { Match(path: $0.path, archive: archives[$0.archive]) })
    }

    static func matches(_ path: String, _ pattern: String) -> Bool {
        path == pattern || fnmatch(pattern, path, 0) == 0
    }

    /// The inventory, 64 MiB at a time, through the streaming parser (which checks every entry).
    static func download(
        client: GlacierClient, vault: String, inventory: GlacierJobDescription
    ) async throws -> [InventoryArchive] {
        let size = inventory.inventorySizeInBytes ?? 0
        let format: InventoryParser.Format =
            inventory.inventoryRetrievalParameters?.format?.uppercased() == "CSV" ? .csv : .json
        var parser = InventoryParser(format: format)
        var archives: [InventoryArchive] = []
        let step: Int64 = 64 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(min(step, max(size, 1))), alignment: 64)
        defer { buffer.deallocate() }
        var offset: Int64 = 0
        while offset < size {
            let end = min(size, offset + step)
            let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[0 ..< Int(end - offset)])
            _ = try await client.getJobOutput(
                vault: vault, jobId: inventory.jobId, range: offset ..< end, outputSize: size,
                verification: .sizeOnly, into: chunk)
            try parser.feed(UnsafeRawBufferPointer(chunk)) { archives.append($0) }
            offset = end
        }
        _ = try parser.finish { archives.append($0) }
        return archives
    }
}
