import Foundation
import Logging
import Synchronization

/// The state every connection shares: configuration, store, fault injector, shaping, counters and
/// the response overrides queued through the admin API.
final class EmulatorService: Sendable {
    let configuration: EmulatorConfiguration
    let store: EmulatorStore
    let faults: FaultInjector
    let statistics = StatisticsRecorder()
    let overrides = ResponseOverrideQueue()
    /// The one link every connection's shaped bodies share.
    let link = SharedLink()
    let authenticator: RequestAuthenticator?
    let logger: Logger
    private let shapingSettings: Mutex<ShapingSettings>

    init(configuration: EmulatorConfiguration, store: EmulatorStore) {
        self.configuration = configuration
        self.store = store
        faults = FaultInjector(settings: configuration.faults)
        shapingSettings = Mutex(configuration.shaping)
        logger = configuration.logger
        authenticator = configuration.credentials.map {
            RequestAuthenticator(
                credentials: $0, region: configuration.region, clockSkew: configuration.clockSkew,
                allowedSkew: configuration.allowedRequestSkew)
        }
    }

    var shaping: ShapingSettings {
        get { shapingSettings.withLock { $0 } }
    }

    func setShaping(_ settings: ShapingSettings) { shapingSettings.withLock { $0 = settings } }

    var accountId: String { configuration.accountId }

    func vaultARN(_ vault: String) -> String {
        "arn:aws:glacier:\(configuration.region):\(configuration.accountId):vaults/\(vault)"
    }

    func vaultNotFound(_ vault: String) -> ServiceError {
        .notFound("Vault not found for ARN: \(vaultARN(vault))")
    }

    /// The clock of the `Date` header: the service clock (job clock included, so a client can see
    /// the time jobs are stamped with, as on AWS) plus `--clock-skew`.
    var httpNow: Date { store.now.addingTimeInterval(configuration.clockSkew) }
}
