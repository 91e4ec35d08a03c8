import Foundation
import GRDB
import GlacierClient
import GlacierFileSystem
import GlacierModel
import Synchronization

/// Runs a migration to the end: inventory, plan, retrievals within the budget, copies, manifest.
/// Every step is recorded before it is taken, so running it again after any interruption
/// continues where the last run stopped.
public final class MigrationRunner: Sendable {
    let client: GlacierClient
    let settings: MigrationSettings
    let root: String
    /// The filesystem's read engine; nil only for --dry-run, which reads no output.
    let readers: OutputReaders?
    let report: @Sendable (MigrationEvent) -> Void
    private let state = Mutex(RunState())

    struct RunState {
        var copying: Set<String> = []
        var throttledUntil = Date.distantPast
        var backoff = 0.0
        var copiedRecently: [(Date, Int64)] = []
        var nextBudgetStart: Double?
        var lastManifest = Date.distantPast
        /// The latest description of each job, from ListJobs: the read engine opens outputs by it.
        var jobs: [String: GlacierJobDescription] = [:]
        /// This run's copy stage: from its first copy's start to its last copy's end, and the bytes.
        var copyStarted: Date?
        var copyEnded: Date?
        var bytesCopied: Int64 = 0
        /// Files renamed into place whose directories are not yet synced: they are recorded as
        /// copied only after that (a crash before leaves them `copying`, and the restart checks them).
        var unsynced: [(archiveId: String, computed: String, directory: String)] = []
        var unsyncedSince: Date?
    }

    /// Renamed files are recorded in batches of this many, or after this long, with one fsync per directory.
    static let syncBatch = 128
    static let syncDelay = 1.0

    /// Typical hours before a job of each tier completes (from the service's documentation).
    static let tierHours: [String: ClosedRange<Double>] = [
        "Expedited": 0.02 ... 0.09, "Standard": 3 ... 5, "Bulk": 5 ... 12,
    ]
    /// Expedited retrievals are refused above this size.
    static let expeditedLimit: Int64 = 250 << 20

    public init(
        client: GlacierClient, settings: MigrationSettings, root: String, readers: OutputReaders?,
        report: @escaping @Sendable (MigrationEvent) -> Void
    ) {
        self.client = client
        self.settings = settings
        self.root = root
        self.readers = readers
        self.report = report
    }

    public static func databasePath(_ root: String) -> String { root + "/.glacierfs/" + MigrationDatabase.fileName }

    /// The whole migration. Returns the summary written to the manifest.
    public func run() async throws -> MigrationSummary {
        do {
            return try await runSteps()
        } catch let error as DatabaseError where error.resultCode == .SQLITE_FULL {
            throw MigrationError.destinationFull(path: Self.databasePath(root))
        } catch let error as DatabaseError
            where error.resultCode == .SQLITE_READONLY || error.resultCode == .SQLITE_CANTOPEN
        {
            throw MigrationError.destinationNotWritable(path: Self.databasePath(root), reason: "\(error)")
        }
    }

    func runSteps() async throws -> MigrationSummary {
        try DestinationFiles.prepare(root)
        let store = MigrationStore(database: try MigrationDatabase.open(path: Self.databasePath(root)))
        if let saved = try store.setting("vault"), saved != settings.vault {
            throw MigrationError.differentVault(saved: saved, asked: settings.vault)
        }
        try store.setSettings([
            "vault": settings.vault, "tier": settings.tier, "max_jobs": String(settings.maxJobs),
            "max_bytes_per_day": settings.maxBytesPerDay.map(String.init) ?? "",
        ])
        try await ensurePlan(store)
        let manifest = ManifestWriter(store: store, root: root)
        defer { readers?.shutdown() }  // the cache writes under way finish, so a rerun finds them
        try await reconcile(store)
        try await loop(store, manifest: manifest)
        let summary = try manifest.write(vault: settings.vault)
        let stage = state.withLock { s in
            (s.bytesCopied, s.copyStarted.flatMap { start in s.copyEnded.map { $0.timeIntervalSince(start) } } ?? 0)
        }
        return MigrationSummary(summary, bytesCopiedThisRun: stage.0, copySeconds: stage.1)
    }

    // MARK: - Plan

    func ensurePlan(_ store: MigrationStore) async throws {
        let filters = "include=\(settings.include) exclude=\(settings.exclude)"
        if try store.setting("plan.complete") == "1" {
            if let planned = try store.setting("plan.filters"), planned != filters {
                report(
                    .warning(
                        "the plan was made with \(planned); the filters given now (\(filters)) are ignored. "
                            + "Migrate into a new directory to choose again."))
            }
            let tally = try store.tally()
            let copied = tally[.copied]?.count ?? 0
            let total = tally.values.reduce(0) { $0 + $1.count }
            report(
                .note("resuming the migration of '\(settings.vault)': \(copied) of \(total) archives already copied"))
            return
        }
        let loader = InventoryLoader(
            client: client, store: store, settings: settings,
            workDirectory: root + "/.glacierfs", report: report)
        let loaded = try await loader.load(mayStart: true)
        let planner = MigrationPlanner(filter: PathFilter(include: settings.include, exclude: settings.exclude))
        let plan = planner.plan(loaded.archives)
        try store.savePlan(
            plan,
            settings: [
                "plan.complete": "1", "inventory.date": loaded.inventoryDate,
                "inventory.used": loaded.jobId, "plan.filters": filters,
            ])
        let selected = plan.filter { $0.phase == .planned }
        report(
            .note("planned \(selected.count) of \(plan.count) archives (\(selected.reduce(0) { $0 + $1.size }) bytes)"))
    }

    // MARK: - Jobs

    /// Whole-archive retrievals the service holds, by archive id: succeeded ones first, then the
    /// one started last.
    func usableJobs() async throws -> [String: GlacierJobDescription] {
        let listing = try await client.listJobs(vault: settings.vault)
        remember(listing.jobs)
        var best: [String: GlacierJobDescription] = [:]
        for job in listing.jobs where job.isArchiveRetrieval && job.statusCode != GlacierJobDescription.Status.failed {
            guard let id = job.archiveId, Self.coversWholeArchive(job) else { continue }
            if let current = best[id] {
                let better =
                    (job.hasSucceeded && !current.hasSucceeded)
                    || (job.hasSucceeded == current.hasSucceeded
                        && (job.creationDate ?? "") > (current.creationDate ?? ""))
                if !better { continue }
            }
            best[id] = job
        }
        return best
    }

    func remember(_ jobs: [GlacierJobDescription]) {
        let archiveJobs = jobs.filter(\.isArchiveRetrieval)
        state.withLock { s in s.jobs = Dictionary(archiveJobs.map { ($0.jobId, $0) }, uniquingKeysWith: { a, _ in a }) }
    }

    func makeCopier() -> ArchiveCopier {
        ArchiveCopier(
            root: root, readers: readers, vault: settings.vault, endpoint: client.configuration.endpoint,
            accountId: client.configuration.accountId, handsOver: !settings.keepCache,
            copies: settings.parallelCopies)
    }

    static func coversWholeArchive(_ job: GlacierJobDescription) -> Bool {
        guard let range = job.retrievalByteRange, let size = job.archiveSizeInBytes else { return true }
        return size == 0 || range == "0-\(size - 1)"
    }

    static func seconds(_ timestamp: String?) -> Double? {
        timestamp.flatMap(GlacierTimestamp.parse)?.timeIntervalSince1970
    }

    /// Brings the database in line with the service: intents resolved, jobs adopted or reused,
    /// expired outputs sent back to be retrieved again, interrupted copies checked.
    func reconcile(_ store: MigrationStore) async throws {
        let jobs = try await usableJobs()
        let copier = makeCopier()
        for a in try store.archives(in: ArchivePhase.open) {
            let job = jobs[a.archiveId]
            switch a.phase {
            case .retrieving where a.jobId == nil:
                if let job {
                    try store.attachJob(
                        archiveId: a.archiveId, jobId: job.jobId, tier: job.tier,
                        initiatedAt: Self.seconds(job.creationDate), reused: false,
                        completedAt: job.hasSucceeded ? Self.seconds(job.completionDate) : nil)
                } else if intentLapsed(a) {
                    try store.dropIntent(archiveId: a.archiveId)
                }  // else: the next poll looks again
            case .copying:
                if let computed = try copier.alreadyComplete(a) ?? copier.finishLeftover(a) {
                    try store.markCopied(
                        archiveId: a.archiveId, computedTreeHash: computed, at: Date().timeIntervalSince1970)
                    continue
                }
                fallthrough
            case .retrieving, .ready:
                if a.size == 0 {
                    try store.setPhase(a.archiveId, .ready)
                } else if let id = a.jobId, let job, job.jobId == id {
                    try store.setPhase(a.archiveId, job.hasSucceeded ? .ready : .retrieving)
                } else if let id = a.jobId {
                    if let job {
                        try store.jobLost(
                            archiveId: a.archiveId, jobId: id, status: "Replaced", at: Date().timeIntervalSince1970)
                        try adopt(job, for: a.archiveId, store: store)
                    } else {
                        report(
                            .note(
                                "the output of job \(id) (\(a.path ?? a.archiveId)) expired before it was copied; retrieving it again"
                            ))
                        try store.jobLost(
                            archiveId: a.archiveId, jobId: id, status: "Expired", at: Date().timeIntervalSince1970)
                    }
                }
            case .planned:
                // A job is reused only when it retrieves the archive the inventory lists.
                if let job, job.archiveSHA256TreeHash.map({ $0.lowercased() == a.treeHash }) ?? true {
                    try adopt(job, for: a.archiveId, store: store)
                }
            default:
                break
            }
        }
    }

    /// How long an InitiateJob that got no answer may still turn up in ListJobs: a request cut off
    /// by a crash can reach the service after the next run's first listing.
    static let intentGrace = 10.0

    /// Whether an unanswered InitiateJob is old enough that ListJobs not showing its job means
    /// there is none.
    func intentLapsed(_ a: PlannedArchive) -> Bool {
        client.serviceNow.timeIntervalSince1970 - (a.intentAt ?? 0) >= Self.intentGrace
    }

    func adopt(_ job: GlacierJobDescription, for archiveId: String, store: MigrationStore) throws {
        try store.attachJob(
            archiveId: archiveId, jobId: job.jobId, tier: job.tier,
            initiatedAt: Self.seconds(job.creationDate), reused: true,
            completedAt: job.hasSucceeded ? Self.seconds(job.completionDate) : nil)
    }

    /// Follows the jobs in flight: completed ones make their archives ready; failed or vanished
    /// ones send their archives back to be retrieved again.
    func pollJobs(_ store: MigrationStore) async throws {
        // Ready outputs need no polling: one that expires answers 404 to its copy.
        let waiting = try store.archives(in: [.retrieving])
        guard !waiting.isEmpty else { return }
        let listing = try await client.listJobs(vault: settings.vault)
        remember(listing.jobs)
        let byId = Dictionary(listing.jobs.map { ($0.jobId, $0) }, uniquingKeysWith: { a, _ in a })
        for a in waiting {
            guard let id = a.jobId else {
                if a.phase == .retrieving {
                    // An InitiateJob that got no answer: ListJobs says whether it started a job.
                    if let job = listing.jobs.filter({
                        $0.archiveId == a.archiveId && $0.isArchiveRetrieval
                            && $0.statusCode != GlacierJobDescription.Status.failed
                            && Self.coversWholeArchive($0)
                    }).max(by: { ($0.creationDate ?? "") < ($1.creationDate ?? "") }) {
                        try store.attachJob(
                            archiveId: a.archiveId, jobId: job.jobId, tier: job.tier,
                            initiatedAt: Self.seconds(job.creationDate), reused: false,
                            completedAt: job.hasSucceeded ? Self.seconds(job.completionDate) : nil)
                    } else if intentLapsed(a) {
                        try store.dropIntent(archiveId: a.archiveId)
                    }
                }
                continue
            }
            guard let job = byId[id] else {
                report(
                    .note("job \(id) for \(a.path ?? a.archiveId) is gone (its output expired); retrieving it again"))
                try store.jobLost(
                    archiveId: a.archiveId, jobId: id, status: "Expired", at: Date().timeIntervalSince1970)
                continue
            }
            if job.hasSucceeded && a.phase == .retrieving {
                try store.markReady(archiveId: a.archiveId, jobId: id, completedAt: Self.seconds(job.completionDate))
            } else if job.statusCode == GlacierJobDescription.Status.failed {
                try store.jobLost(archiveId: a.archiveId, jobId: id, status: "Failed", at: Date().timeIntervalSince1970)
                if a.retrievals >= 3 {
                    try store.setPhase(
                        a.archiveId, .failed,
                        reason: "3 retrieval jobs failed; the last said: \(job.statusMessage ?? "no message")")
                }
            }
        }
    }

    /// Starts retrievals in plan order while the budget, the job limit and the service allow.
    func startJobs(_ store: MigrationStore) async throws {
        if Date() < state.withLock({ $0.throttledUntil }) { return }
        if state.withLock({ $0.nextBudgetStart }) != nil {
            // Waiting on the budget, which counts the service's hours: learn its clock (Date).
            _ = try? await client.describeVault(settings.vault)
        }
        let inFlight = try store.archives(in: [.retrieving, .ready, .copying]).count
        let slots = settings.maxJobs - inFlight
        guard slots > 0 else { return }
        let budget = RetrievalBudget(bytesPerDay: settings.maxBytesPerDay)
        var charges = try store.ledger().filter {
            $0.at > client.serviceNow.timeIntervalSince1970 - RetrievalBudget.day
        }
        state.withLock { $0.nextBudgetStart = nil }
        // The archives that may start now, in plan order: a later, smaller archive never jumps
        // the queue when the budget holds the next one back.
        var batch: [(archive: PlannedArchive, tier: String, at: Double)] = []
        for a in try store.archives(in: [.planned], limit: slots + 64) where batch.count < slots {
            if a.size == 0 {
                try store.setPhase(a.archiveId, .ready)  // nothing to retrieve
                continue
            }
            guard budget.fits(size: a.size) else {
                try store.setPhase(a.archiveId, .skipped, reason: "larger than --max-bytes-per-day (\(a.size) bytes)")
                continue
            }
            let now = client.serviceNow.timeIntervalSince1970
            guard budget.allows(size: a.size, now: now, charges: charges) else {
                let next = budget.nextStart(size: a.size, now: now, charges: charges)
                state.withLock { $0.nextBudgetStart = next }
                break
            }
            charges.append((a.size, now))
            batch.append(
                (a, settings.tier == "Expedited" && a.size > Self.expeditedLimit ? "Standard" : settings.tier, now))
        }
        var start = 0
        while start < batch.count {
            let group = Array(batch[start ..< min(batch.count, start + Self.parallelInitiations)])
            start += group.count
            guard try await initiate(group, store: store) else { return }
        }
    }

    /// InitiateJob calls sent at once: AWS's own tools start about a hundred a second.
    static let parallelInitiations = 8

    /// Records each intent, sends the InitiateJobs at once, and records what each answer says.
    /// Returns false when the service asked to slow down (or may not have answered), so the
    /// rest wait for a later tick; a policy refusal is thrown after every answer is recorded.
    func initiate(
        _ group: [(archive: PlannedArchive, tier: String, at: Double)], store: MigrationStore
    ) async throws -> Bool {
        for item in group {
            try store.recordIntent(archiveId: item.archive.archiveId, bytes: item.archive.size, at: item.at)
        }
        let client = self.client
        let settings = self.settings
        // Plain values into each child: Swift 6.3's release build was seen to hand a child garbage
        // when it captured the labelled-tuple element of `group` (an index out of range, every run).
        let requests: [(String, String)] = group.map { ($0.archive.archiveId, $0.tier) }
        let answers = await withTaskGroup(of: (Int, Result<InitiatedJob, GlacierError>).self) { tasks in
            for index in requests.indices {
                let (archiveId, tier) = requests[index]
                tasks.addTask {
                    do {
                        let job = try await client.initiateArchiveRetrieval(
                            vault: settings.vault, archiveId: archiveId, tier: tier,
                            description: "glacierfs migrate", snsTopic: settings.snsTopic,
                            retry: RetryPolicy(maxAttempts: 1))
                        return (index, .success(job))
                    } catch {
                        return (index, .failure(error as? GlacierError ?? .invalidConfiguration("\(error)")))
                    }
                }
            }
            var answers = [Result<InitiatedJob, GlacierError>?](repeating: nil, count: requests.count)
            for await (index, answer) in tasks { answers[index] = answer }
            return answers
        }
        var carryOn = true
        var stop: (any Error)?
        for (item, answer) in zip(group, answers) {
            guard let answer else { continue }
            switch answer {
            case .success(let job):
                try store.attachJob(
                    archiveId: item.archive.archiveId, jobId: job.jobId, tier: item.tier, initiatedAt: item.at,
                    reused: false, completedAt: nil)
                state.withLock { $0.backoff = 0 }
            case .failure(let error):
                do { try handleInitiateFailure(error, archive: item.archive, store: store) } catch {
                    stop = stop ?? error
                }
                if isSlowDown(error) { carryOn = false }
            }
        }
        if let stop { throw stop }
        return carryOn
    }

    /// Whether the service asked to slow down, or may not have answered at all.
    func isSlowDown(_ error: GlacierError) -> Bool {
        guard case .service(let d) = error else { return true }
        return d.code == GlacierErrorCode.insufficientCapacity || GlacierErrorCode.throttlingCodes.contains(d.code)
            || d.httpStatus >= 500
    }

    func handleInitiateFailure(_ error: GlacierError, archive a: PlannedArchive, store: MigrationStore) throws {
        guard case .service(let details) = error else {
            // The request may or may not have reached the service: the intent stays, and the next
            // reconciliation finds the job in ListJobs or drops the intent.
            report(
                .warning(
                    "InitiateJob for \(a.path ?? a.archiveId) got no answer (\(error)); checking ListJobs before retrying"
                ))
            state.withLock {
                $0.backoff = max(1, $0.backoff * 2)
                $0.throttledUntil = Date().addingTimeInterval(min(60, $0.backoff))
            }
            return
        }
        try store.dropIntent(archiveId: a.archiveId)
        let code = details.code
        if code == GlacierErrorCode.policyEnforced {
            throw MigrationError.policyEnforced(message: details.message, tier: settings.tier)
        }
        if code == GlacierErrorCode.insufficientCapacity || GlacierErrorCode.throttlingCodes.contains(code)
            || details.httpStatus >= 500
        {
            let pause = state.withLock { s -> Double in
                s.backoff = min(300, max(settings.pollInterval / 4, 0.2, s.backoff * 2))
                s.throttledUntil = Date().addingTimeInterval(s.backoff)
                return s.backoff
            }
            report(.note("the service said \(code); starting jobs again in \(Int(pause.rounded(.up))) s"))
        } else if code == GlacierErrorCode.resourceNotFound {
            try store.setPhase(
                a.archiveId, .failed, reason: "the service no longer has this archive (\(details.message))")
        } else {
            try store.setPhase(a.archiveId, .failed, reason: "InitiateJob refused: \(error)")
        }
    }

    // MARK: - Copies

    func startableCopies(_ store: MigrationStore) throws -> [PlannedArchive] {
        let busy = state.withLock { $0.copying }
        let free = settings.parallelCopies - busy.count
        guard free > 0 else { return [] }
        let ready = try store.archives(in: [.ready], limit: free + busy.count).filter { !busy.contains($0.archiveId) }
        let chosen = Array(ready.prefix(free))
        state.withLock { s in for a in chosen { s.copying.insert(a.archiveId) } }
        return chosen
    }

    func copy(_ a: PlannedArchive, store: MigrationStore) async throws {
        defer { _ = state.withLock { $0.copying.remove(a.archiveId) } }
        state.withLock { s in if s.copyStarted == nil { s.copyStarted = Date() } }
        try store.setPhase(a.archiveId, .copying)
        do {
            var job: GlacierJobDescription?
            if let id = a.jobId {
                job = state.withLock { $0.jobs[id] }
                if job == nil { job = try await client.describeJob(vault: settings.vault, jobId: id) }
            }
            switch try await makeCopier().copy(a, job: job) {
            case .copied(let computed):
                let directory = ((root + "/" + a.path!) as NSString).deletingLastPathComponent
                state.withLock { s in
                    s.unsynced.append((a.archiveId, computed, directory))
                    if s.unsyncedSince == nil { s.unsyncedSince = Date() }
                    s.copiedRecently.append((Date(), a.size))
                    s.bytesCopied += a.size
                    s.copyEnded = Date()
                }
            case .mismatch(let why):
                try store.setPhase(a.archiveId, .failed, reason: why + "; not written")
                report(.warning("\(a.path ?? a.archiveId): \(why); not written"))
            }
        } catch ArchiveCopier.Interruption.outputGone(let why) {
            report(
                .note(
                    "the output of job \(a.jobId ?? "-") (\(a.path ?? a.archiveId)) expired before the copy finished "
                        + "(\(why)); retrieving it again"))
            try store.jobLost(
                archiveId: a.archiveId, jobId: a.jobId ?? "", status: "Expired", at: Date().timeIntervalSince1970)
        } catch let error as GlacierError {
            guard error.isNotFound else {
                try store.setPhase(a.archiveId, .ready)
                throw error
            }
            report(
                .note(
                    "the output of job \(a.jobId ?? "-") (\(a.path ?? a.archiveId)) expired before the copy finished; retrieving it again"
                ))
            try store.jobLost(
                archiveId: a.archiveId, jobId: a.jobId ?? "", status: "Expired", at: Date().timeIntervalSince1970)
        } catch {
            try store.setPhase(a.archiveId, .ready)
            throw error
        }
    }

    // MARK: - The loop

    enum Event: Sendable { case tick, copied }

    func loop(_ store: MigrationStore, manifest: ManifestWriter) async throws {
        do {
            try await events(store, manifest: manifest)
        } catch {
            try? recordSynced(store, all: true)  // what is on disk is recorded, whatever stopped the run
            throw error
        }
    }

    func events(_ store: MigrationStore, manifest: ManifestWriter) async throws {
        try await withThrowingTaskGroup(of: Event.self) { group in
            group.addTask { .tick }
            var copiesRunning = 0
            while let event = try await group.next() {
                if event == .tick {
                    try await pollJobs(store)
                    try await startJobs(store)
                } else {
                    copiesRunning -= 1
                }
                for a in try startableCopies(store) {
                    copiesRunning += 1
                    group.addTask {
                        try await self.copy(a, store: store)
                        return .copied
                    }
                }
                try recordSynced(store, all: copiesRunning == 0)
                let open = try store.archives(in: ArchivePhase.open, limit: 1)
                let due = state.withLock { s -> Bool in
                    guard Date().timeIntervalSince(s.lastManifest) > 10 else { return false }
                    s.lastManifest = Date()
                    return true
                }
                if due { try manifest.write(vault: settings.vault) }
                report(.progress(try progress(store)))
                if open.isEmpty && copiesRunning == 0 {
                    group.cancelAll()
                    return
                }
                if event == .tick {
                    let pause = settings.pollInterval
                    group.addTask {
                        try await Task.sleep(nanoseconds: UInt64(pause * 1e9))
                        return .tick
                    }
                }
            }
        }
    }

    /// Syncs the directories of files renamed into place, then records those archives as copied:
    /// a batch at a time, or everything when `all`.
    func recordSynced(_ store: MigrationStore, all: Bool) throws {
        let batch = state.withLock { s -> [(archiveId: String, computed: String, directory: String)] in
            guard !s.unsynced.isEmpty else { return [] }
            guard
                all || s.unsynced.count >= Self.syncBatch
                    || Date().timeIntervalSince(s.unsyncedSince ?? Date()) >= Self.syncDelay
            else { return [] }
            defer {
                s.unsynced = []
                s.unsyncedSince = nil
            }
            return s.unsynced
        }
        guard !batch.isEmpty else { return }
        for directory in Set(batch.map(\.directory)) { try DestinationFiles.syncDirectory(directory) }
        try store.markCopied(batch.map { ($0.archiveId, $0.computed) }, at: Date().timeIntervalSince1970)
    }

    func progress(_ store: MigrationStore) throws -> MigrationProgress {
        let tally = try store.tally()
        let selected = tally.filter { $0.key != .skipped }.values
        let copied = tally[.copied] ?? (0, 0)
        let inFlight = (tally[.retrieving]?.count ?? 0) + (tally[.ready]?.count ?? 0) + (tally[.copying]?.count ?? 0)
        let (rate, copyingNow, nextBudget) = state.withLock { s -> (Double, Int, Double?) in
            let horizon = Date().addingTimeInterval(-30)
            s.copiedRecently.removeAll { $0.0 < horizon }
            let bytes = s.copiedRecently.reduce(0) { $0 + $1.1 }
            let span = max(1, Date().timeIntervalSince(s.copiedRecently.first?.0 ?? Date()))
            return (Double(bytes) / max(span, 5), s.copying.count, s.nextBudgetStart)
        }
        var next: String?
        if let nextBudget {
            let wait = Int(nextBudget - client.serviceNow.timeIntervalSince1970)
            next = "budget allows the next job in \(wait / 3600)h\(wait % 3600 / 60)m"
        } else if (tally[.retrieving]?.count ?? 0) > 0, let oldest = try store.oldestJobInProgress() {
            // The service says nothing of when a job will finish: the tier's typical hours do.
            let hours = Self.tierHours[settings.tier] ?? 3 ... 5
            let due = Date(timeIntervalSince1970: oldest + hours.lowerBound * 3600)
            let waited = Int(client.serviceNow.timeIntervalSince1970 - oldest)
            next =
                "next completion: the oldest job started \(waited / 3600)h\(waited % 3600 / 60)m ago, "
                + "due from \(GlacierTimestamp.format(due)) (\(settings.tier) takes \(MigrationEstimate.hours(hours)))"
        }
        return MigrationProgress(
            archivesDone: copied.count, archivesTotal: selected.reduce(0) { $0 + $1.count },
            bytesDone: copied.bytes, bytesTotal: selected.reduce(0) { $0 + $1.bytes }, rate: rate,
            jobsInFlight: inFlight, copying: copyingNow, next: next)
    }
}

/// How a migration ended, as the manifest's summary line says.
public struct MigrationSummary: Sendable {
    public let archives: Int64
    public let copied: Int64
    public let copiedBytes: Int64
    public let skipped: Int64
    public let failed: Int64
    public let notCopied: [(archiveId: String, path: String?, reason: String)]
    /// This run's copy stage: bytes written, and the seconds from its first copy's start to its last's end.
    public let bytesCopiedThisRun: Int64
    public let copySeconds: Double

    init(_ s: ManifestWriter.Summary, bytesCopiedThisRun: Int64, copySeconds: Double) {
        self.bytesCopiedThisRun = bytesCopiedThisRun
        self.copySeconds = copySeconds
        archives = s.archives
        copied = s.copied
        copiedBytes = s.copiedBytes
        skipped = s.skipped
        failed = s.failed
        notCopied = s.notCopied.map { ($0.archiveId, $0.path, $0.reason) }
    }
}

extension MigrationRunner {
    /// `--dry-run`: the plan and its estimate from the newest readable inventory (or the plan
    /// already in DIR), with nothing started and nothing written.
    public func dryRun() async throws -> MigrationEstimate {
        let databasePath = Self.databasePath(root)
        if FileManager.default.fileExists(atPath: databasePath) {
            let store = MigrationStore(database: try MigrationDatabase.open(path: databasePath))
            if try store.setting("plan.complete") == "1" {
                return MigrationEstimate(
                    plan: try store.archives(in: [.planned]) + (try store.archives(in: [.skipped, .failed])),
                    tier: settings.tier, bytesPerDay: settings.maxBytesPerDay)
            }
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
            "glacierfs-dry-run-\(UUID().uuidString)"
        ).path
        try DestinationFiles.makeDirectories(scratch)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let loader = InventoryLoader(
            client: client, store: nil, settings: settings,
            workDirectory: scratch, report: report)
        let loaded = try await loader.load(mayStart: false)
        let plan = MigrationPlanner(filter: PathFilter(include: settings.include, exclude: settings.exclude))
            .plan(loaded.archives)
        return MigrationEstimate(plan: plan, tier: settings.tier, bytesPerDay: settings.maxBytesPerDay)
    }
}
