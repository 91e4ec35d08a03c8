import Foundation
import GlacierClient
import OutputCache

/// One cheap request before mounting: are the credentials accepted, and is the endpoint there?
enum ServiceProbe {
    enum Result { case online, offline }

    static func probe(service: ServiceOptions, vaults: [String], cacheDirectory: String, quiet: Bool) throws -> Result {
        let client = try service.makeClient(
            retry: RetryPolicy(maxAttempts: 2, baseDelaySeconds: 0.2), connectTimeout: 5)
        let endpoint = client.configuration.endpoint
        do {
            try runBlocking {
                if let first = vaults.first {
                    _ = try await client.describeVault(first)
                } else {
                    _ = try await client.listVaults()
                }
            }
            return .online
        } catch let error as GlacierError where error.isNotFound {
            return .online  // reachable and authenticated; the missing vault is reported in the log
        } catch {
            let report = ServiceErrorReport.userFacing(error, endpoint: endpoint)
            guard report.exitCode == GlacierExit.unreachable else { throw report }
            let cached = OutputCache.inspect(directory: cacheDirectory).outputs.filter { $0.key.endpoint == endpoint }
            guard !cached.isEmpty else {
                throw UserFacingError(
                    report.message + " Nothing from this endpoint is cached, so there is nothing to show offline.",
                    exitCode: GlacierExit.unreachable)
            }
            if !quiet {
                FileHandle.standardError.write(
                    Data(
                        ("glacierfs: warning: \(report.message)\nglacierfs: mounting OFFLINE: "
                            + "\(cached.count) cached output(s) from \(endpoint) stay readable; listings refresh when the service is back.\n")
                            .utf8))
            }
            return .offline
        }
    }
}
