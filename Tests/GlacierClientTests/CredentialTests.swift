import AWSSigning
import Foundation
import HTTPTransport
import Synchronization
import Testing

@testable import AWSCredentials

/// Credential and region resolution, as the AWS CLI does it.
@Suite struct CredentialTests {
    let http = HTTPClient()

    func environment(_ vars: [String: String], home: URL) -> AWSEnvironment {
        var v = vars
        v["AWS_EC2_METADATA_DISABLED"] = v["AWS_EC2_METADATA_DISABLED"] ?? "true"
        return AWSEnvironment(variables: v, homeDirectory: home.path)
    }

    func withHome(_ files: [String: String], _ body: (URL) async throws -> Void) async throws {
        let home = URL(fileURLWithPath: "/tmp/glacierfs-tests/home-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(
            at: home.appendingPathComponent(".aws"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        for (name, text) in files {
            try text.write(to: home.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        try await body(home)
    }

    static let credentialsFile = """
        # a comment
        [default]
        aws_access_key_id = AKIDDEFAULT
        aws_secret_access_key = secretdefault

        [work]
        aws_access_key_id=AKIDWORK
        aws_secret_access_key=secretwork ; inline comment
        aws_session_token = tokenwork
        """

    static let configFile = """
        [default]
        region = us-west-2

        [profile work]
        region = eu-west-1
        s3 =
          max_concurrent_requests = 10
        output = json

        [profile tools]
        credential_process = %PROCESS%
        region = ap-south-1

        [profile sso]
        sso_session = corp
        sso_account_id = 123456789012
        """

    @Test func environmentVariablesComeFirst() async throws {
        try await withHome([".aws/credentials": Self.credentialsFile]) { (home: URL) async throws in
            let env = environment(
                [
                    "AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "secretenv",
                    "AWS_SESSION_TOKEN": "tokenenv",
                ], home: home)
            let c = try await CredentialChain(environment: env, http: http).credentials()
            #expect(c.accessKeyId == "AKIDENV" && c.secretAccessKey == "secretenv" && c.sessionToken == "tokenenv")
        }
    }

    @Test func anExplicitProfileWinsOverTheEnvironment() async throws {
        try await withHome([".aws/credentials": Self.credentialsFile]) { (home: URL) async throws in
            let env = environment(["AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "secretenv"], home: home)
            let c = try await CredentialChain(profile: "work", environment: env, http: http).credentials()
            #expect(c.accessKeyId == "AKIDWORK" && c.secretAccessKey == "secretwork" && c.sessionToken == "tokenwork")
        }
    }

    @Test func profilesComeFromAWSProfileAndRegionsFromTheConfigFile() async throws {
        try await withHome([
            ".aws/credentials": Self.credentialsFile,
            ".aws/config": Self.configFile.replacingOccurrences(of: "%PROCESS%", with: "true"),
        ]) { (home: URL) async throws in
            let plain = environment([:], home: home)
            #expect(
                try await CredentialChain(environment: plain, http: http).credentials().accessKeyId == "AKIDDEFAULT")
            #expect(RegionResolver.resolve(profile: nil, environment: plain) == "us-west-2")
            #expect(RegionResolver.resolve(profile: "work", environment: plain) == "eu-west-1", "[profile work] syntax")

            let work = environment(["AWS_PROFILE": "work"], home: home)
            #expect(try await CredentialChain(environment: work, http: http).credentials().accessKeyId == "AKIDWORK")
            #expect(RegionResolver.resolve(profile: nil, environment: work) == "eu-west-1")

            let overridden = environment(
                [
                    "AWS_PROFILE": "work", "AWS_REGION": "ca-central-1",
                    "AWS_DEFAULT_REGION": "sa-east-1",
                ], home: home)
            #expect(RegionResolver.resolve(profile: nil, environment: overridden) == "ca-central-1")
            let byDefault = environment(["AWS_DEFAULT_REGION": "sa-east-1"], home: home)
            #expect(RegionResolver.resolve(profile: nil, environment: byDefault) == "sa-east-1")
        }
    }

    @Test func fileLocationsFollowTheirEnvironmentVariables() async throws {
        try await withHome([
            "elsewhere-credentials": "[default]\naws_access_key_id = AKIDMOVED\naws_secret_access_key = s\n",
            "elsewhere-config": "[default]\nregion = eu-north-1\n",
        ]) { (home: URL) async throws in
            let env = environment(
                [
                    "AWS_SHARED_CREDENTIALS_FILE": home.path + "/elsewhere-credentials",
                    "AWS_CONFIG_FILE": home.path + "/elsewhere-config",
                ], home: home)
            #expect(try await CredentialChain(environment: env, http: http).credentials().accessKeyId == "AKIDMOVED")
            #expect(RegionResolver.resolve(profile: nil, environment: env) == "eu-north-1")
        }
    }

    @Test func credentialProcessIsRunAndItsExpiryKept() async throws {
        try await withHome([:]) { (home: URL) async throws in
            let script = home.appendingPathComponent("creds.sh")
            try """
            #!/bin/sh
            echo '{"Version": 1, "AccessKeyId": "AKIDPROCESS", "SecretAccessKey": "secretprocess", \
            "SessionToken": "tokenprocess", "Expiration": "2099-01-01T00:00:00Z"}'
            """.write(to: script, atomically: true, encoding: .utf8)
            chmod(script.path, 0o755)
            try Self.configFile.replacingOccurrences(of: "%PROCESS%", with: script.path)
                .write(to: home.appendingPathComponent(".aws/config"), atomically: true, encoding: .utf8)
            let c = try await CredentialChain(profile: "tools", environment: environment([:], home: home), http: http)
                .credentials()
            #expect(c.accessKeyId == "AKIDPROCESS" && c.sessionToken == "tokenprocess")
            #expect(c.expiration == ISO8601DateFormatter().date(from: "2099-01-01T00:00:00Z"))
        }
    }

    @Test func aFailingCredentialProcessSaysWhyWithoutSecrets() async throws {
        try await withHome([:]) { (home: URL) async throws in
            try Self.configFile.replacingOccurrences(of: "%PROCESS%", with: "echo 'vault locked' >&2; exit 3")
                .write(to: home.appendingPathComponent(".aws/config"), atomically: true, encoding: .utf8)
            do {
                _ = try await CredentialChain(profile: "tools", environment: environment([:], home: home), http: http)
                    .credentials()
                Issue.record("a failing credential_process must fail")
            } catch let error as CredentialError {
                #expect(error.description.contains("exit status 3"))
                #expect(error.description.contains("vault locked"))
            }
        }
    }

    /// A helper's command line often carries a token: the error names the program only, and a
    /// helper echoing its arguments on stderr has them hidden too.
    @Test func aFailingCredentialProcessNeverShowsItsArguments() async throws {
        let token = "tok-9f8e7d6c5b4a"
        let command = "SESSION=\(token) sh -c 'echo \"refused: $0 $1\" >&2; exit 3' --token \(token)"
        try await withHome([:]) { (home: URL) async throws in
            try Self.configFile.replacingOccurrences(of: "%PROCESS%", with: command)
                .write(to: home.appendingPathComponent(".aws/config"), atomically: true, encoding: .utf8)
            do {
                _ = try await CredentialChain(profile: "tools", environment: environment([:], home: home), http: http)
                    .credentials()
                Issue.record("a failing credential_process must fail")
            } catch let error as CredentialError {
                #expect(!error.description.contains(token), "\(error.description)")
                #expect(error.description.contains("`sh`"), "\(error.description)")
                #expect(error.description.contains("refused"), "\(error.description)")
                #expect(error.description.contains("exit status 3"), "\(error.description)")
            }
        }
    }

    @Test func missingAndUnsupportedProfilesGetActionableMessages() async throws {
        try await withHome([".aws/config": Self.configFile.replacingOccurrences(of: "%PROCESS%", with: "true")]) {
            (home: URL) async throws in
            let env = environment([:], home: home)
            do {
                _ = try await CredentialChain(profile: "nope", environment: env, http: http).credentials()
                Issue.record("an unknown profile must fail")
            } catch let error as CredentialError {
                #expect(error.description.contains("'nope' is not defined"))
            }
            do {
                _ = try await CredentialChain(profile: "sso", environment: env, http: http).credentials()
                Issue.record("an SSO profile must be explained")
            } catch let error as CredentialError {
                #expect(error.description.contains("credential_process = aws configure export-credentials"))
            }
            do {
                _ = try await CredentialChain(
                    environment: environment(["AWS_CONFIG_FILE": "/dev/null"], home: home),
                    http: http
                ).credentials()
                Issue.record("no credentials anywhere must fail")
            } catch let error as CredentialError {
                #expect(error.description.contains("AWS_ACCESS_KEY_ID"))
            }
        }
    }

    @Test func instanceMetadataUsesTheIMDSv2TokenFlow() async throws {
        let (server, port) = try ScriptProcess.start(
            "imds_server.py",
            [
                "glacier-role", "AKIDIMDS", "secretimds", "tokenimds",
                "2099-05-01T12:00:00Z",
            ])
        defer { server.stop() }
        try await withHome([:]) { (home: URL) async throws in
            let env = environment(
                [
                    "AWS_EC2_METADATA_DISABLED": "false",
                    "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:\(port)/",
                    "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
                ], home: home)
            let c = try await CredentialChain(environment: env, http: http).credentials()
            #expect(c.accessKeyId == "AKIDIMDS" && c.secretAccessKey == "secretimds" && c.sessionToken == "tokenimds")
            #expect(c.expiration != nil)
        }
    }

    /// A provider that counts how often it is asked, handing out credentials that expire soon.
    final class CountingProvider: CredentialProvider {
        let calls = Atomic<Int>(0)
        let lifetime: TimeInterval
        let now: @Sendable () -> Date
        init(lifetime: TimeInterval, now: @escaping @Sendable () -> Date) {
            self.lifetime = lifetime
            self.now = now
        }
        var name: String { "counting" }
        func resolve() async throws -> AWSCredentialSet? {
            let n = calls.add(1, ordering: .relaxed).newValue
            return AWSCredentialSet(
                accessKeyId: "AKID\(n)", secretAccessKey: "s\(n)", sessionToken: "t\(n)",
                expiration: now().addingTimeInterval(lifetime))
        }
    }

    @Test func temporaryCredentialsAreRenewedBeforeTheyExpire() async throws {
        let clock = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        let now: @Sendable () -> Date = { clock.withLock { $0 } }
        let provider = CountingProvider(lifetime: 3600, now: now)
        let chain = CredentialChain(providers: [provider], clock: now)
        #expect(try await chain.credentials().accessKeyId == "AKID1")
        clock.withLock { $0 = $0.addingTimeInterval(3000) }  // 10 minutes left: still good
        #expect(try await chain.credentials().accessKeyId == "AKID1")
        clock.withLock { $0 = $0.addingTimeInterval(400) }  // under 5 minutes left: renew
        #expect(try await chain.credentials().accessKeyId == "AKID2")
        #expect(provider.calls.load(ordering: .relaxed) == 2)
        chain.invalidate()
        #expect(try await chain.credentials().accessKeyId == "AKID3", "invalidate forces a new lookup")
    }

    @Test func concurrentCallersShareOneResolution() async throws {
        let provider = CountingProvider(lifetime: 3600, now: Date.init)
        let chain = CredentialChain(providers: [provider])
        try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0 ..< 20 { group.addTask { try await chain.credentials().accessKeyId } }
            for try await id in group { #expect(id == "AKID1") }
        }
        #expect(provider.calls.load(ordering: .relaxed) == 1)
    }

    @Test func theRedactorScrubsEverySecretItHasSeen() {
        let c = AWSCredentialSet(
            accessKeyId: "AKIDRED", secretAccessKey: "super/secret+value", sessionToken: "SESSIONTOKEN123")
        SecretRedactor.shared.register(c)
        let text = SecretRedactor.shared.redact("oops super/secret+value and SESSIONTOKEN123 leaked")
        #expect(!text.contains("super/secret+value") && !text.contains("SESSIONTOKEN123"))
        #expect(text.contains("[REDACTED]"))
    }
}
