import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A running Glacier emulator: an HTTP/1.1 server on SwiftNIO that speaks the Glacier vault API
/// (2012-06-01), stores its data under a directory, and can inject faults and shape traffic.
///
///     let server = try await GlacierEmulatorServer.start(EmulatorConfiguration(dataDirectory: dir))
///     defer { Task { try await server.stop() } }
///     print(server.endpoint)   // http://127.0.0.1:PORT
public final class GlacierEmulatorServer: Sendable {
    /// The address the server is bound to.
    public let host: String
    /// The bound port (the real one when the configuration asked for 0).
    public let port: Int
    private let group: MultiThreadedEventLoopGroup
    private let pool: NIOThreadPool
    private let listener: any Channel
    private let service: EmulatorService
    private let connections: ConnectionRegistry
    private let serving: Task<Void, Never>
    private let sweeping: Task<Void, Never>
    private let stopped = Mutex(false)

    private init(
        host: String, port: Int, group: MultiThreadedEventLoopGroup, pool: NIOThreadPool,
        listener: any Channel, service: EmulatorService, connections: ConnectionRegistry,
        serving: Task<Void, Never>, sweeping: Task<Void, Never>
    ) {
        self.host = host
        self.port = port
        self.group = group
        self.pool = pool
        self.listener = listener
        self.service = service
        self.connections = connections
        self.serving = serving
        self.sweeping = sweeping
    }

    /// `http://HOST:PORT`, with IPv6 hosts in brackets.
    public var endpoint: String {
        host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)"
    }

    /// Loads the data directory, binds and starts serving.
    public static func start(_ configuration: EmulatorConfiguration) async throws -> GlacierEmulatorServer {
        try configuration.check()
        let pool = NIOThreadPool(numberOfThreads: configuration.fileIOThreads)
        pool.start()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: configuration.eventLoopThreads)
        do {
            let store = try await EmulatorStore.open(
                layout: DataLayout(root: configuration.dataDirectory.path),
                io: BlockingIO(pool: pool),
                outputLifetime: configuration.outputLifetime,
                logger: configuration.logger)
            let service = EmulatorService(configuration: configuration, store: store)
            let listener: NIOAsyncChannel<Connection, Never>
            do {
                listener = try await bind(configuration, group: group)
            } catch {
                store.releaseDirectory()
                throw error
            }
            let port = listener.channel.localAddress?.port ?? configuration.port
            let connections = ConnectionRegistry()
            // On the emulator's own threads, as are the connections' tasks, the serving task's children.
            let serving = Task(executorPreference: EmulatorExecutor.shared) {
                await serve(listener, service: service, connections: connections)
            }
            // Expired jobs and unneeded data of deleted archives are removed once a minute.
            let sweeping = Task(executorPreference: EmulatorExecutor.shared) {
                let loop = group.next()
                while (try? await EmulatorExecutor.sleep(until: .now + .seconds(60), on: loop)) != nil {
                    await store.collectGarbage()
                }
            }
            configuration.logger.info(
                "serving",
                metadata: [
                    "port": "\(port)",
                    "data": "\(configuration.dataDirectory.path)",
                ])
            return GlacierEmulatorServer(
                host: configuration.host, port: port, group: group, pool: pool,
                listener: listener.channel, service: service, connections: connections,
                serving: serving, sweeping: sweeping)
        } catch {
            try? await group.shutdownGracefully()
            try? await pool.shutdownGracefully()
            throw error
        }
    }

    private typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    private static func bind(
        _ configuration: EmulatorConfiguration, group: MultiThreadedEventLoopGroup
    )
        async throws -> NIOAsyncChannel<Connection, Never>
    {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .bind(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.configureHTTPServerPipeline(withErrorHandling: true)
                    let idle = TimeAmount.milliseconds(Int64(configuration.idleTimeout * 1000))
                    try pipeline.addHandler(IdleStateHandler(allTimeout: idle))
                    try pipeline.addHandler(RequestTimeoutHandler())
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
    }

    private static func serve(
        _ listener: NIOAsyncChannel<Connection, Never>, service: EmulatorService,
        connections: ConnectionRegistry
    ) async {
        do {
            try await listener.executeThenClose { inbound in
                try await withThrowingDiscardingTaskGroup { tasks in
                    for try await connection in inbound {
                        guard connections.add(connection.channel) else {
                            connection.channel.close(promise: nil)
                            continue
                        }
                        tasks.addTask {
                            await ConnectionHandler(service: service).run(connection)
                            connections.remove(connection.channel)
                        }
                    }
                }
            }
        } catch {
            service.logger.debug("listener ended", metadata: ["error": "\(error)"])
        }
    }

    /// Stops accepting, closes open connections, and releases the threads. Calling it again does
    /// nothing.
    public func stop() async throws {
        let first = stopped.withLock { s in
            defer { s = true }
            return !s
        }
        guard first else { return }
        sweeping.cancel()
        await sweeping.value
        try? await listener.close()
        connections.closeAll()
        serving.cancel()  // wakes connections sleeping for shaping
        await serving.value
        service.store.releaseDirectory()
        try await group.shutdownGracefully()
        try await pool.shutdownGracefully()
        service.logger.info("stopped", metadata: ["port": "\(port)"])
    }

    // MARK: Run-time controls

    /// Faults injected so far, by kind.
    public func faultCounters() -> FaultCounters { service.faults.counters }

    /// Requests by operation, bytes served and fault counts.
    public func statistics() -> EmulatorStatistics { service.statisticsSnapshot() }

    /// Zeroes the request, byte and fault counters.
    public func resetStatistics() { service.resetStatistics() }

    public var faultSettings: FaultSettings { service.faults.settings }

    /// Replaces the fault settings and restarts their generator from the seed.
    public func setFaults(_ settings: FaultSettings) throws {
        try service.setFaults(settings)
    }

    public var shaping: ShapingSettings { service.shaping }

    public func setShaping(_ settings: ShapingSettings) throws {
        try service.updateShaping(settings)
    }

    /// Moves the job clock (and with it job completion and expiry) by `seconds`.
    public func advanceJobClock(by seconds: TimeInterval) async throws {
        try await service.store.advanceClock(by: seconds)
    }

    /// Replaces the next `override.count` responses to `operation` (e.g. `ListVaults`) verbatim.
    public func addResponseOverride(_ override: ResponseOverride, for operation: String) throws {
        guard GlacierOperation.allNames.contains(operation) else {
            throw ConfigurationError.invalid("unknown operation '\(operation)'")
        }
        service.overrides.add(override, operation: operation)
    }

    /// Replaces fields of a job's served description with the members of a JSON object (given as
    /// text, so hostile numbers pass through exactly); `{}` clears the override.
    public func overrideJob(vault: String, jobId: String, json: String) async throws {
        try await service.overrideJob(vault: vault, jobId: jobId, with: try JSONParser.parse(Array(json.utf8)))
    }

    /// Creates `count` already-succeeded jobs (memory only) and returns their ids.
    public func createSyntheticJobs(vault: String, count: Int, archiveId: String?) async throws -> [String] {
        try await service.createSyntheticJobs(vault: vault, count: count, archiveId: archiveId)
    }
}
