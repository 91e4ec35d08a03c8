import Foundation
import GlacierClient
import GlacierModel
import Logging
import OutputCache
import Synchronization

/// The vaults and jobs the filesystem shows: fetched from the service, kept for a TTL, refreshed
/// in the background once stale, and merged with what the cache holds, so outputs stay visible
/// after their job expires or while the service is unreachable.
final class Catalog: Sendable {
    let client: GlacierClient
    let cache: OutputCache
    let configuration: FileSystemConfiguration
    let endpoint: String
    let logger: Logger
    private let state = Mutex(CatalogState())

    struct Listing<T: Sendable>: Sendable {
        var value: T
        var fetchedAt: ContinuousClock.Instant
    }

    struct CatalogState {
        var vaults: Listing<[String: VaultEntry]>?
        var jobs: [String: Listing<[String: JobEntry]>] = [:]
        var vaultRefresh: Task<[String: VaultEntry], Never>?
        var jobRefresh: [String: Task<[String: JobEntry], Never>] = [:]
        var offline = false
    }

    init(client: GlacierClient, cache: OutputCache, configuration: FileSystemConfiguration, logger: Logger) {
        self.client = client
        self.cache = cache
        self.configuration = configuration
        self.endpoint = client.configuration.endpoint
        self.logger = logger
    }

    /// Whether the last listing attempt could not reach the service.
    var isOffline: Bool { state.withLock { $0.offline } }

    // MARK: - Vaults

    /// The vaults known now, without waiting; nil before the first listing. A stale listing is
    /// returned as is and refreshed in the background.
    func currentVaults() -> [String: VaultEntry]? {
        let (value, stale) = state.withLock { s in (s.vaults?.value, s.vaults.map(isStale) ?? true) }
        if stale && value != nil { startVaultRefresh() }
        return value
    }

    /// The vaults, fetching them first if none are known.
    func vaults() async -> [String: VaultEntry] {
        if let known = currentVaults() { return known }
        return await startVaultRefresh().value
    }

    @discardableResult
    private func startVaultRefresh() -> Task<[String: VaultEntry], Never> {
        state.withLock { s in
            if let running = s.vaultRefresh { return running }
            let task = Task { await self.fetchVaults() }
            s.vaultRefresh = task
            return task
        }
    }

    private func fetchVaults() async -> [String: VaultEntry] {
        var result: [String: VaultEntry] = [:]
        var reachedService = true
        do {
            let described: [DescribeVaultOutput]
            if configuration.vaults.isEmpty {
                described = try await client.listVaults()
            } else {
                var found: [DescribeVaultOutput] = []
                for name in configuration.vaults {
                    do { found.append(try await client.describeVault(name)) } catch  where error.isNotFound {
                        logger.warning("vault \(name) does not exist in this account and region; it is not shown")
                    }
                }
                described = found
            }
            for v in described where NameRules.couldBeVault(v.vaultName) {
                result[v.vaultName] = VaultEntry(
                    name: v.vaultName,
                    creationDate: v.creationDate.flatMap(GlacierTimestamp.parse) ?? Date(),
                    accountId: v.accountIdFromARN)
            }
            for v in described where !NameRules.couldBeVault(v.vaultName) {
                logger.warning(
                    "skipping a vault whose name cannot be a file name",
                    metadata: ["name": "\(v.vaultName.debugDescription.prefix(300))"])
            }
        } catch {
            reachedService = false
            logger.warning("could not list vaults; showing what the cache holds", metadata: ["error": "\(error)"])
            for name in cachedVaultNames() {
                result[name] = VaultEntry(name: name, creationDate: Date(timeIntervalSince1970: 0), accountId: nil)
            }
            for name in configuration.vaults where result[name] == nil && NameRules.couldBeVault(name) {
                result[name] = VaultEntry(name: name, creationDate: Date(timeIntervalSince1970: 0), accountId: nil)
            }
        }
        state.withLock { s in
            // A failed refresh keeps a listing that came from the service.
            if reachedService || s.vaults == nil || s.offline {
                s.vaults = Listing(value: result, fetchedAt: .now)
            } else {
                s.vaults?.fetchedAt = .now
            }
            s.offline = !reachedService
            s.vaultRefresh = nil
        }
        return state.withLock { $0.vaults?.value ?? result }
    }

    private func cachedVaultNames() -> Set<String> {
        let names = cache.allEntries.map(\.descriptor.key).filter { $0.endpoint == endpoint }.map(\.vault)
        let wanted = Set(configuration.vaults)
        return Set(names.filter { wanted.isEmpty || wanted.contains($0) })
    }

    // MARK: - Jobs

    func currentJobs(vault: String) -> [String: JobEntry]? {
        let (value, stale) = state.withLock { s in (s.jobs[vault]?.value, s.jobs[vault].map(isStale) ?? true) }
        if stale && value != nil { startJobRefresh(vault) }
        return value
    }

    /// Listings fetched at once by `listJobsAhead`.
    static let listingsAhead = 4
    /// Vaults listed ahead at most: an account with hundreds would cost a request each on every
    /// mount, most of them stale within the listing TTL.
    static let vaultsListedAhead = 32

    /// Lists the jobs of the first `vaultsListedAhead` of `vaults` in the background, a few at a
    /// time. A look into a vault while its listing is on the way waits for that listing.
    func listJobsAhead(vaults: [String]) {
        Task {
            await withTaskGroup(of: Void.self) { group in
                for (i, vault) in vaults.prefix(Self.vaultsListedAhead).enumerated() {
                    if i >= Self.listingsAhead { await group.next() }
                    group.addTask { _ = await self.jobs(vault: vault) }
                }
            }
        }
    }

    func jobs(vault: String) async -> [String: JobEntry] {
        if let known = currentJobs(vault: vault) { return known }
        return await startJobRefresh(vault).value
    }

    @discardableResult
    private func startJobRefresh(_ vault: String) -> Task<[String: JobEntry], Never> {
        state.withLock { s in
            if let running = s.jobRefresh[vault] { return running }
            let task = Task { await self.fetchJobs(vault) }
            s.jobRefresh[vault] = task
            return task
        }
    }

    private func fetchJobs(_ vault: String) async -> [String: JobEntry] {
        var result: [String: JobEntry] = [:]
        var reachedService = true
        do {
            let listing = try await client.listJobs(vault: vault)
            for job in listing.jobs {
                guard NameRules.couldBeJobId(job.jobId) else {
                    logger.warning(
                        "skipping a job whose id cannot be a file name",
                        metadata: ["vault": "\(vault)", "id": "\(job.jobId.debugDescription.prefix(300))"])
                    continue
                }
                result[job.jobId] = JobEntry(
                    vault: vault, job: job, source: .service,
                    allowUnverified: configuration.allowUnverified)
            }
        } catch {
            reachedService = false
            if !error.isNotFound {
                logger.warning(
                    "could not list jobs; showing what the cache holds",
                    metadata: ["vault": "\(vault)", "error": "\(error)"])
            }
        }
        // Outputs the cache holds stay visible after their job has expired.
        for entry in cache.allEntries {
            let d = entry.descriptor
            guard d.key.endpoint == endpoint, d.key.vault == vault, result[d.key.jobId] == nil,
                entry.cachedLeafCount > 0 || d.size == 0,
                let json = d.jobDescriptionJSON,
                let job = try? JSONDecoder().decode(GlacierJobDescription.self, from: Data(json.utf8))
            else { continue }
            result[d.key.jobId] = JobEntry(
                vault: vault, job: job, source: .cacheOnly,
                allowUnverified: configuration.allowUnverified)
        }
        state.withLock { s in
            s.jobs[vault] = Listing(value: result, fetchedAt: .now)
            if !reachedService { s.offline = true }
            s.jobRefresh[vault] = nil
        }
        return result
    }

    // MARK: - Cache keys

    /// The cache key of a job's output: keyed by the account in the vault's ARN when known.
    func outputKey(vault: String, jobId: String) -> OutputKey {
        let account = state.withLock { $0.vaults?.value[vault]?.accountId }
        if let account { return OutputKey(endpoint: endpoint, accountId: account, vault: vault, jobId: jobId) }
        if let cached = cache.allEntries.map(\.descriptor.key).first(where: {
            $0.endpoint == endpoint && $0.vault == vault && $0.jobId == jobId
        }) {
            return cached
        }
        return OutputKey(endpoint: endpoint, accountId: client.configuration.accountId, vault: vault, jobId: jobId)
    }

    private func isStale<T>(_ listing: Listing<T>) -> Bool {
        ContinuousClock.now - listing.fetchedAt > .seconds(configuration.listingTTLSeconds)
    }
}
