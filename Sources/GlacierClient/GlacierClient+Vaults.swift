import GlacierModel

extension GlacierClient {
    /// Every vault of the account, following all pages.
    public func listVaults() async throws(GlacierError) -> [DescribeVaultOutput] {
        var vaults: [DescribeVaultOutput] = []
        var marker: String?
        repeat {
            var request = GlacierRequest(operation: "ListVaults", method: "GET", pathSegments: ["vaults"])
            if let marker { request.query.append(("marker", marker)) }
            let page = try await execute(request, timeout: configuration.operationTimeoutSeconds) {
                r throws(GlacierError) in
                try decode(ListVaultsOutput.self, from: r, operation: "ListVaults")
            }
            vaults += page.vaultList
            marker = Self.nextMarker(page.marker, previous: marker)
        } while marker != nil
        return vaults
    }

    public func describeVault(_ name: String) async throws(GlacierError) -> DescribeVaultOutput {
        let request = GlacierRequest(operation: "DescribeVault", method: "GET", pathSegments: ["vaults", name])
        return try await execute(request, timeout: configuration.operationTimeoutSeconds) { r throws(GlacierError) in
            try decode(DescribeVaultOutput.self, from: r, operation: "DescribeVault")
        }
    }

    /// Creates a vault (idempotent, as in the service). Used to seed demos and tests.
    public func createVault(_ name: String) async throws(GlacierError) {
        let request = GlacierRequest(operation: "CreateVault", method: "PUT", pathSegments: ["vaults", name])
        try await execute(request, timeout: configuration.operationTimeoutSeconds) { _ in () }
    }

    public func deleteVault(_ name: String) async throws(GlacierError) {
        let request = GlacierRequest(operation: "DeleteVault", method: "DELETE", pathSegments: ["vaults", name])
        try await execute(request, timeout: configuration.operationTimeoutSeconds) { _ in () }
    }

    /// A marker that does not move would page forever; treat it as the end.
    static func nextMarker(_ marker: String?, previous: String?) -> String? {
        guard let marker, !marker.isEmpty, marker != previous else { return nil }
        return marker
    }
}
