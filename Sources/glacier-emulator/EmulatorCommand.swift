import ArgumentParser
import Foundation
import GlacierEmulator
import Logging

/// `glacier-emulator`: runs the local Glacier service until SIGINT or SIGTERM.
@main
struct EmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "glacier-emulator",
        abstract: "A local Amazon S3 Glacier (vault API 2012-06-01) service for tests and demos.",
        discussion: """
            Prints exactly one line to stdout once it accepts connections, 'listening on http://HOST:PORT'; \
            logs go to stderr. Data (vaults, archives, uploads, jobs) lives under --data-dir and survives \
            restarts. Faults and shaping can also be changed at run time through the unsigned admin API \
            under /_emulator/ (stats, faults, shaping, job-clock, response-overrides).

            Fault kinds: flip, truncate, reset, unavailable, throttle, wrong-checksum, bad-content-range, insufficient-capacity, policy-enforced. \
            Each response to a listed operation draws at most one fault; the rates must add up to at most 1.

            Admin API, unsigned, under /_emulator/: stats (GET, DELETE), faults (GET, PUT \
            {"rates":{"flip":0.1},"seed":7,"operations":["GetJobOutput"]}), shaping (GET, PUT \
            {"firstByteLatencyMs":50,"bytesPerSecondPerConnection":40000000,"linkBytesPerSecond":200000000,"rateSpreadPercent":0}), job-clock (POST \
            {"advanceSeconds":3600}), vaults/V/jobs/ID/override (PUT a JSON object), \
            vaults/V/synthetic-jobs (POST {"count":10000,"archiveId":"..."}), response-overrides (POST \
            {"operation":"ListVaults","status":200,"headers":{},"body":"...","count":1}, DELETE).
            """)

    @Option(help: "Address to listen on, HOST:PORT; port 0 picks a free port. IPv6: [::1]:PORT.")
    var listen = "127.0.0.1:0"

    @Option(
        name: .customLong("data-dir"),
        help: "Directory for vaults, archives, uploads and jobs (created if missing).")
    var dataDir: String

    @Option(help: "Region used in ARNs and expected in signature scopes.")
    var region = "us-east-1"

    @Option(name: .customLong("account-id"), help: "The account that '-' in request paths stands for.")
    var accountId = "123456789012"

    @Option(
        name: .customLong("access-key"),
        help: ArgumentHelp(
            "Access key id to require (or env GLACIER_EMULATOR_ACCESS_KEY). "
                + "Without keys, requests need no signature."))
    var accessKey: String?

    @Option(name: .customLong("secret-key"), help: "Secret key (prefer env GLACIER_EMULATOR_SECRET_KEY).")
    var secretKey: String?

    @Option(
        name: .customLong("job-delay"),
        help: "Seconds from InitiateJob until the job completes (decimals allowed).")
    var jobDelay: Double = 0

    @Option(name: .customLong("output-lifetime"), help: "Seconds a completed job's output stays available.")
    var outputLifetime: Double = 86_400

    @Option(
        name: .customLong("clock-skew"),
        help: "Seconds added to the clock used for signature time checks and the Date header.")
    var clockSkew: Double = 0

    @Option(name: .customLong("latency-ms"), help: "Extra milliseconds before the first byte of each API response.")
    var latencyMs = 0

    @Option(
        help: ArgumentHelp(
            "Per-connection response bandwidth cap in bytes per second; "
                + "suffixes K, M, G (1000s) and KiB, MiB, GiB."))
    var bandwidth: String?

    @Option(
        name: .customLong("link-bandwidth"),
        help: ArgumentHelp(
            "Bandwidth cap of the one link all connections share, in bytes per second; "
                + "same suffixes as --bandwidth."))
    var linkBandwidth: String?

    @Option(
        name: .customLong("rate-spread"),
        help: ArgumentHelp(
            "Percent by which each response's per-connection bandwidth strays either way from --bandwidth, "
                + "drawn afresh per response (0-90): connections of unequal speed, as on a real WAN."))
    var rateSpread: Int = 0

    @Option(help: "Fault rates, e.g. flip=0.05,truncate=0.02,reset=0.01.")
    var faults: String?

    @Option(
        name: .customLong("damage-per-64k"),
        help:
            "Probability that each 64 KiB of a GetJobOutput body gets a flipped byte (damage that grows with the bytes sent)."
    )
    var damagePer64KiB = 0.0

    @Option(
        name: .customLong("reset-per-mib"),
        help: "Probability that each MiB of a GetJobOutput body ends in a connection reset.")
    var resetPerMiB = 0.0

    @Option(name: .customLong("fault-seed"), help: "Seed of the fault generator, so a run can be repeated.")
    var faultSeed: UInt64 = 0

    @Option(name: .customLong("fault-operations"), help: "Comma-separated operations that faults apply to.")
    var faultOperations = "GetJobOutput"

    @Option(
        name: .customLong("idle-timeout"),
        help: ArgumentHelp(
            "Seconds of silence before a connection is closed "
                + "(a stalled upload gets 408 RequestTimeoutException)."))
    var idleTimeout: Double = 300

    @Flag(
        name: .customLong("stop-on-stdin-eof"),
        help: "Also stop when standard input closes (ties the emulator's life to a parent holding a pipe).")
    var stopOnStdinEOF = false

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    func validate() throws {
        _ = try makeConfiguration(logger: Logger(label: "validate", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("unknown log level '\(logLevel)'")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let configuration = try makeConfiguration(logger: Logger(label: "glacier-emulator"))
        let server = try await GlacierEmulatorServer.start(configuration)
        FileHandle.standardOutput.write(Data("listening on \(server.endpoint)\n".utf8))
        let cause = await TerminationSignal.wait(watchStandardInput: stopOnStdinEOF)
        Logger(label: "glacier-emulator").info("stopping", metadata: ["cause": "\(cause)"])
        try await server.stop()
    }

    private func makeConfiguration(logger: Logger) throws -> EmulatorConfiguration {
        guard let address = ListenAddress(listen) else {
            throw ValidationError("--listen must be HOST:PORT (e.g. 127.0.0.1:0 or [::1]:8080), not '\(listen)'")
        }
        let env = ProcessInfo.processInfo.environment
        let access = accessKey ?? env["GLACIER_EMULATOR_ACCESS_KEY"]
        let secret = secretKey ?? env["GLACIER_EMULATOR_SECRET_KEY"]
        var credentials: EmulatorCredentials?
        switch (access, secret) {
        case (nil, nil): credentials = nil
        case (let a?, let s?): credentials = EmulatorCredentials(accessKeyId: a, secretAccessKey: s)
        default: throw ValidationError("give both an access key and a secret key, or neither")
        }
        var shaping = ShapingSettings(firstByteLatencyMs: latencyMs)
        if let bandwidth {
            guard let rate = ByteCountParser.parse(bandwidth), rate > 0 else {
                throw ValidationError("--bandwidth must be a positive byte count such as 40MB or 5000000")
            }
            shaping.bytesPerSecondPerConnection = rate
        }
        if let linkBandwidth {
            guard let rate = ByteCountParser.parse(linkBandwidth), rate > 0 else {
                throw ValidationError("--link-bandwidth must be a positive byte count such as 200MB or 200000000")
            }
            shaping.linkBytesPerSecond = rate
        }
        shaping.rateSpreadPercent = rateSpread
        let operations = Set(
            faultOperations.split(separator: ",").map {
                String($0).trimmingCharacters(in: .whitespaces)
            })
        let faultSettings: FaultSettings
        do {
            faultSettings = FaultSettings(
                rates: try faults.map(FaultSettings.parseRates) ?? [:], seed: faultSeed,
                operations: operations, damagePer64KiB: damagePer64KiB, resetPerMiB: resetPerMiB)
        } catch {
            throw ValidationError("--faults: \(error)")
        }
        let configuration = EmulatorConfiguration(
            dataDirectory: URL(fileURLWithPath: dataDir), host: address.host, port: address.port, region: region,
            accountId: accountId, credentials: credentials, jobDelay: jobDelay, outputLifetime: outputLifetime,
            clockSkew: clockSkew, shaping: shaping, faults: faultSettings, idleTimeout: idleTimeout, logger: logger)
        do {
            try configuration.check()
        } catch {
            throw ValidationError("\(error)")
        }
        return configuration
    }
}
