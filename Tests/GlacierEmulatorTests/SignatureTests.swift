import Foundation
import GlacierEmulator
import Testing

/// SigV4 is enforced when keys are configured, with AWS's 403 error codes, and not required
/// when they are not.
@Suite struct SignatureTests {
    @Test(.enabled(if: ExternalTool.awsCLI.runsHere, ExternalTool.awsCLI.skipNote))
    func signaturesAreEnforcedForTheCLI() async throws {
        try ExternalTool.awsCLI.require()
        try await withEmulator(signed: true) { server, _ in
            let good = AWSCLI(endpoint: server.endpoint)
            try await good.glacier("create-vault", "--vault-name", "signed")

            var wrongSecret = good
            wrongSecret.secretKey = "not-the-secret"
            let bad = try await wrongSecret.run(["list-vaults"])
            #expect(bad.status != 0)
            #expect(bad.stderr.contains("InvalidSignatureException"), "\(bad.stderr)")

            var unknownKey = good
            unknownKey.accessKey = "AKIDUNKNOWN"
            let unknown = try await unknownKey.run(["list-vaults"])
            #expect(unknown.stderr.contains("UnrecognizedClientException"), "\(unknown.stderr)")

            var otherRegion = good
            otherRegion.region = "eu-west-1"
            let region = try await otherRegion.run(["list-vaults"])
            #expect(region.stderr.contains("InvalidSignatureException"), "\(region.stderr)")

            var unsigned = good
            unsigned.unsigned = true
            let anonymous = try await unsigned.run(["list-vaults"])
            #expect(anonymous.stderr.contains("MissingAuthenticationTokenException"), "\(anonymous.stderr)")
        }
    }

    @Test func unsignedRawRequestsGetMissingAuthenticationToken() async throws {
        try await withEmulator(signed: true) { server, _ in
            let r = try await RawHTTP.request(port: server.port, method: "GET", path: "/-/vaults")
            #expect(r.status == 403)
            #expect(r.errorCode == "MissingAuthenticationTokenException")
            #expect(r.header("Content-Type") == "application/json")
            #expect(r.header("x-amzn-RequestId") != nil && r.header("Date") != nil)
            let forged = try await RawHTTP.request(
                port: server.port, method: "GET", path: "/-/vaults",
                headers:
                    RawHTTP.glacierHeaders + [
                        ("X-Amz-Date", "20240101T000000Z"),
                        (
                            "Authorization",
                            "AWS4-HMAC-SHA256 Credential=\(TestKeys.accessKey)/20240101/us-east-1/glacier/aws4_request, "
                                + "SignedHeaders=host;x-amz-date, Signature=00"
                        ),
                    ])
            #expect(forged.status == 403)
            #expect(forged.errorCode == "RequestTimeTooSkewed")
            #expect(forged.text.contains("server time"))
        }
    }

    @Test(.enabled(if: ExternalTool.awsCLI.runsHere, ExternalTool.awsCLI.skipNote))
    func clockSkewIsReported() async throws {
        try ExternalTool.awsCLI.require()
        try await withEmulator(signed: true, configure: { $0.clockSkew = 3600 }) { server, _ in
            let result = try await AWSCLI(endpoint: server.endpoint).run(["list-vaults"])
            #expect(result.status != 0)
            #expect(result.stderr.contains("RequestTimeTooSkewed"), "\(result.stderr)")
            let raw = try await RawHTTP.request(port: server.port, method: "GET", path: "/-/vaults")
            let date = try #require(raw.header("Date"))
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
            let served = try #require(formatter.date(from: date))
            #expect(abs(served.timeIntervalSinceNow - 3600) < 60, "the Date header shows the skewed server clock")
        }
    }

    @Test(.enabled(if: ExternalTool.awsCLI.runsHere, ExternalTool.awsCLI.skipNote))
    func withoutKeysAnyOrNoSignatureIsAccepted() async throws {
        try ExternalTool.awsCLI.require()
        try await withEmulator(signed: false) { server, _ in
            var cli = AWSCLI(endpoint: server.endpoint)
            cli.unsigned = true
            try await cli.glacier("create-vault", "--vault-name", "open")
            cli.unsigned = false
            cli.secretKey = "whatever"
            let listed = try await cli.glacier("list-vaults")
            #expect((listed["VaultList"] as? [Any])?.count == 1)
            let raw = try await RawHTTP.request(port: server.port, method: "GET", path: "/-/vaults/open")
            #expect(raw.status == 200)
        }
    }
}
