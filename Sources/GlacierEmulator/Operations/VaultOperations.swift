import GlacierModel
import NIOHTTP1

/// CreateVault, DescribeVault, ListVaults and DeleteVault.
enum VaultOperations {
    static func create(_ c: OperationContext, vault: String) async throws -> HTTPResponse {
        guard GlacierProtocol.isValidVaultName(vault) else {
            throw ServiceError.invalidParameter(
                "Invalid vault name '\(vault)': use 1 to 255 letters, digits, "
                    + "'_', '-' and '.'.")
        }
        let response = created(c, vault: vault)
        if c.store.withState({ $0.vaults[vault] != nil }) { return response }  // idempotent, as in AWS
        let record = VaultRecord(name: vault, creationDate: c.store.now)
        let layout = c.store.layout
        try await c.store.createDirectory(layout.vault(vault))
        try await c.store.writeJSON(record, to: layout.vaultMeta(vault))
        c.store.withState { s in
            if s.vaults[vault] == nil { s.vaults[vault] = StoredVault(record: record) }
        }
        return response
    }

    private static func created(_ c: OperationContext, vault: String) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add(name: "Location", value: c.location(vault))
        return HTTPResponse(status: .created, headers: headers)
    }

    static func describe(_ c: OperationContext, vault: String) throws -> HTTPResponse {
        let v = try c.store.withState { s throws(ServiceError) in try c.requireVault(vault, in: s) }
        return .json(output(c, v))
    }

    static func output(_ c: OperationContext, _ v: StoredVault) -> DescribeVaultOutput {
        var count: Int64 = 0, size: Int64 = 0
        for a in v.liveArchives {
            count += 1
            size += a.record.size
        }
        return DescribeVaultOutput(
            vaultARN: c.service.vaultARN(v.record.name), vaultName: v.record.name,
            creationDate: GlacierTimestamp.format(v.record.creationDate),
            lastInventoryDate: v.lastInventoryDate.map(GlacierTimestamp.format),
            numberOfArchives: count, sizeInBytes: size)
    }

    /// Vaults sorted by name; the marker is the ARN of the first vault of the next page.
    static func list(_ c: OperationContext) throws -> HTTPResponse {
        let limit = try Pagination.limit(c, default: 10, max: 10)
        var startName = ""
        if let marker = Pagination.marker(c) {
            guard let slash = marker.range(of: ":vaults/"), !marker[slash.upperBound...].isEmpty else {
                throw ServiceError.invalidParameter("Invalid marker '\(marker)': expected a vault ARN.")
            }
            startName = String(marker[slash.upperBound...])
        }
        let vaults = c.store.withState { s in
            s.vaults.values.filter { $0.record.name >= startName }.sorted { $0.record.name < $1.record.name }
        }
        let page = vaults.prefix(limit).map { output(c, $0) }
        let next = vaults.count > limit ? c.service.vaultARN(vaults[limit].record.name) : nil
        return .json(ListVaultsOutput(vaultList: Array(page), marker: next))
    }

    static func delete(_ c: OperationContext, vault: String) async throws -> HTTPResponse {
        try c.store.withState { s throws(ServiceError) in
            let v = try c.requireVault(vault, in: s)
            guard v.liveArchives.first(where: { _ in true }) == nil else {
                throw .invalidParameter("Vault not empty or recently written to: \(c.service.vaultARN(vault))")
            }
            s.vaults[vault] = nil
        }
        await c.store.removeTree(c.store.layout.vault(vault))
        return HTTPResponse(status: .noContent)
    }
}
