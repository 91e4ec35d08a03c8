import Foundation
import Logging
import NIOCore

/// Everything the emulator needs to start: where to listen, where to keep its data, how it signs,
/// how its clocks behave and which faults and WAN shaping it applies from the first request.
public struct EmulatorConfiguration: Sendable {
    /// The address to bind; loopback unless told otherwise.
    public var host: String
    /// The TCP port; 0 picks a free one (read it back from `GlacierEmulatorServer.port`).
    public var port: Int
    /// The directory holding vaults, archives, uploads and jobs. Created if missing.
    public var dataDirectory: URL
    /// The region written into ARNs and expected in signature scopes.
    public var region: String
    /// The account that `-` in a path stands for.
    public var accountId: String
    /// When set, every API request must carry a valid SigV4 signature made with this key pair.
    public var credentials: EmulatorCredentials?
    /// How long after initiation a job completes.
    public var jobDelay: TimeInterval
    /// How long a completed job's output stays downloadable.
    public var outputLifetime: TimeInterval
    /// An offset added to the clock used for signature time checks and the `Date` header.
    public var clockSkew: TimeInterval
    /// How far a request's `X-Amz-Date` may be from the (skewed) server clock.
    public var allowedRequestSkew: TimeInterval
    /// WAN shaping applied from the start.
    public var shaping: ShapingSettings
    /// Fault injection applied from the start.
    public var faults: FaultSettings
    /// Seconds a connection may be silent (nothing read or written) before it is closed; a request
    /// whose body stalls that long gets 408 RequestTimeoutException.
    public var idleTimeout: TimeInterval
    /// Event loop threads; defaults to one per core.
    public var eventLoopThreads: Int
    /// Threads for blocking file work (open, write, fsync, rename).
    public var fileIOThreads: Int
    /// Where the emulator logs; silent unless one is given.
    public var logger: Logger

    public init(
        dataDirectory: URL, host: String = "127.0.0.1", port: Int = 0, region: String = "us-east-1",
        accountId: String = "123456789012", credentials: EmulatorCredentials? = nil,
        jobDelay: TimeInterval = 0, outputLifetime: TimeInterval = 86_400, clockSkew: TimeInterval = 0,
        allowedRequestSkew: TimeInterval = 15 * 60, shaping: ShapingSettings = .none,
        faults: FaultSettings = .none, idleTimeout: TimeInterval = 300,
        eventLoopThreads: Int = System.coreCount,
        fileIOThreads: Int = max(2, System.coreCount),
        logger: Logger = Logger(label: "glacier-emulator", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.dataDirectory = dataDirectory
        self.host = host
        self.port = port
        self.region = region
        self.accountId = accountId
        self.credentials = credentials
        self.jobDelay = jobDelay
        self.outputLifetime = outputLifetime
        self.clockSkew = clockSkew
        self.allowedRequestSkew = allowedRequestSkew
        self.shaping = shaping
        self.faults = faults
        self.idleTimeout = idleTimeout
        self.eventLoopThreads = eventLoopThreads
        self.fileIOThreads = fileIOThreads
        self.logger = logger
    }

    /// Refuses values that cannot work, with a message naming the option.
    public func check() throws(ConfigurationError) {
        guard (0 ... 65_535).contains(port) else { throw .invalid("port \(port) is outside 0–65535") }
        guard jobDelay >= 0, jobDelay.isFinite else { throw .invalid("the job delay must be a non-negative number") }
        guard outputLifetime > 0, outputLifetime.isFinite else {
            throw .invalid("the output lifetime must be a positive number of seconds")
        }
        guard clockSkew.isFinite else { throw .invalid("the clock skew must be a finite number of seconds") }
        guard !region.isEmpty, !accountId.isEmpty else { throw .invalid("region and account id must not be empty") }
        if let c = credentials, c.accessKeyId.isEmpty || c.secretAccessKey.isEmpty {
            throw .invalid("both the access key and the secret key must be non-empty")
        }
        guard idleTimeout >= 1, idleTimeout.isFinite else {
            throw .invalid("the idle timeout must be at least 1 second")
        }
        guard eventLoopThreads >= 1, fileIOThreads >= 1 else { throw .invalid("thread counts must be at least 1") }
        try shaping.validate()
        try faults.validate()
    }
}

/// The one key pair the emulator accepts.
public struct EmulatorCredentials: Sendable, Equatable {
    public var accessKeyId: String
    public var secretAccessKey: String

    public init(accessKeyId: String, secretAccessKey: String) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
    }
}

/// A configuration or setting that cannot be used, with a message for a person.
public enum ConfigurationError: Error, Equatable, CustomStringConvertible {
    case invalid(String)

    public var description: String {
        switch self {
        case .invalid(let message): message
        }
    }
}
