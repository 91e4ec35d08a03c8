import AWSSigning
import Foundation
import GlacierIntegrity
import GlacierTestSupport
import Testing

/// One case of the AWS SigV4 test suite, parsed from its `.req` file.
struct SuiteCase {
    var name: String
    var directory: URL
    var request: SignableRequest

    func expected(_ ext: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent("\(name).\(ext)"), encoding: .utf8)
    }

    static func load(_ reqFile: URL) throws -> SuiteCase {
        let text = try String(contentsOf: reqFile, encoding: .utf8)
        let (head, body): (Substring, Substring) = {
            if let r = text.range(of: "\n\n") { return (text[..<r.lowerBound], text[r.upperBound...]) }
            return (text[...], "")
        }()
        let lines = head.split(separator: "\n", omittingEmptySubsequences: false)
        let requestLine = lines[0]
        let method = requestLine.prefix { $0 != " " }
        let target = requestLine.dropFirst(method.count + 1)
        let uri = target.range(of: " HTTP/").map { target[..<$0.lowerBound] } ?? target
        let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            if line.first == " " || line.first == "\t", !headers.isEmpty {
                headers[headers.count - 1].value += " " + line  // folded continuation line
            } else if let colon = line.firstIndex(of: ":") {
                headers.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
            }
        }
        let payloadHash = SHA256.hash(Array(body.utf8)).hex
        let request = SignableRequest(
            method: String(method), path: String(path[0]),
            query: path.count > 1 ? String(path[1]) : "", headers: headers,
            payloadHash: payloadHash)
        return SuiteCase(
            name: reqFile.deletingPathExtension().lastPathComponent,
            directory: reqFile.deletingLastPathComponent(), request: request)
    }
}

/// How many cases the suite has (its README says 34): fewer means a damaged copy.
let suiteCaseCount = 34

/// Every case of the suite; throws, naming the folder, when the suite is missing or incomplete, so
/// no test can pass by looping over nothing.
func allSuiteCases() throws -> [SuiteCase] {
    let root = try TestPaths.fixture("aws-sigv4-testsuite")
    guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else {
        throw SeedError("cannot list \(root.path)")
    }
    let files = walker.compactMap { $0 as? URL }.filter { $0.pathExtension == "req" }
    let cases = try files.map(SuiteCase.load).sorted { $0.name < $1.name }
    guard cases.count == suiteCaseCount else {
        throw SeedError("\(root.path) holds \(cases.count) .req cases, expected \(suiteCaseCount): restore it from git")
    }
    return cases
}

@Suite struct SigV4SuiteTests {
    static let accessKey = "AKIDEXAMPLE"
    static let secretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    static let sessionToken = """
        AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqT\
        flfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU\
        9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KS\
        YvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==
        """
    static let shortSessionToken = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"
    let signer = SigV4Signer(service: "service", region: "us-east-1")

    // No case is skipped: every case in the suite (including normalize-path and both
    // post-sts-token variants) is checked stage by stage.
    @Test func everyCaseMatchesCanonicalRequestStringToSignAndAuthorization() throws {
        let cases = try allSuiteCases()
        #expect(cases.count == suiteCaseCount, "found \(cases.count) cases")
        for var c in cases {
            if c.name == "get-vanilla-with-session-token" {
                // Its .req omits the token that its .creq signs; add it as a signer would.
                c.request.headers.append(("X-Amz-Security-Token", Self.shortSessionToken))
            }
            let names = c.request.headers.map { $0.name }
            let sig = try #require(
                signer.signature(
                    for: c.request, signedHeaderNames: names,
                    amzDate: "20150830T123600Z", accessKeyId: Self.accessKey,
                    secretAccessKey: Self.secretKey))
            #expect(sig.canonicalRequest == (try c.expected("creq")), "canonical request of \(c.name)")
            #expect(sig.stringToSign == (try c.expected("sts")), "string to sign of \(c.name)")
            #expect(sig.authorization == (try c.expected("authz")), "Authorization of \(c.name)")
        }
    }

    @Test func signAddsDateAndTokenBeforeOrAfterSigning() throws {
        let date = AmzDate.parse("20150830T123600Z")!
        let cases = try allSuiteCases()
        for (name, tokenIsSigned) in [("post-sts-header-before", true), ("post-sts-header-after", false)] {
            let c = try #require(cases.first { $0.name == name })
            var request = c.request
            request.headers.removeAll {
                $0.name.lowercased() == "x-amz-date" || $0.name.lowercased() == "x-amz-security-token"
            }
            let credentials = AWSCredentialSet(
                accessKeyId: Self.accessKey, secretAccessKey: Self.secretKey,
                sessionToken: Self.sessionToken)
            signer.sign(&request, credentials: credentials, date: date, signSessionToken: tokenIsSigned)
            #expect(request.header("Authorization") == (try c.expected("authz")), "\(name)")
            #expect(request.header("X-Amz-Security-Token") == Self.sessionToken, "\(name)")
            #expect(request.header("X-Amz-Date") == "20150830T123600Z")
        }
    }

    @Test func verifierAcceptsSuiteRequestsAndRejectsTampering() throws {
        let verifier = SigV4Verifier(service: "service", secrets: [Self.accessKey: Self.secretKey])
        let now = AmzDate.parse("20150830T123600Z")!
        var verified = 0
        for c in try allSuiteCases() where c.name != "post-sts-header-after" {
            verified += 1
            var signed = c.request
            if c.name == "get-vanilla-with-session-token" {
                signed.headers.append(("X-Amz-Security-Token", Self.shortSessionToken))
            }
            signed.setHeader("Authorization", try c.expected("authz"))
            try verifier.verify(signed, now: now)

            var tampered = signed
            tampered.query += tampered.query.isEmpty ? "x=1" : "&x=1"
            #expect(throws: SigV4Verifier.Failure.self) { try verifier.verify(tampered, now: now) }
        }
        #expect(verified == suiteCaseCount - 1, "verified \(verified) suite requests")
    }

    @Test func verifierReportsAWSFailureKinds() throws {
        let verifier = SigV4Verifier(service: "glacier", secrets: ["AKID": "secret"])
        let signer = SigV4Signer(service: "glacier", region: "us-east-1")
        let now = Date()
        var request = SignableRequest(
            method: "GET", path: "/-/vaults", headers: [("Host", "localhost")],
            payloadHash: SignableRequest.emptyPayloadHash)
        #expect(throws: SigV4Verifier.Failure.missingAuthentication) { try verifier.verify(request, now: now) }

        var wrongKey = request
        signer.sign(
            &wrongKey, credentials: AWSCredentialSet(accessKeyId: "OTHER", secretAccessKey: "secret"), date: now)
        #expect(
            throws: SigV4Verifier.Failure.unknownAccessKey("The security token included in the request is invalid.")
        ) {
            try verifier.verify(wrongKey, now: now)
        }

        var wrongSecret = request
        signer.sign(
            &wrongSecret, credentials: AWSCredentialSet(accessKeyId: "AKID", secretAccessKey: "nope"), date: now)
        do {
            try verifier.verify(wrongSecret, now: now)
            Issue.record("a wrong secret must not verify")
        } catch {
            guard case .invalidSignature = error else {
                Issue.record("got \(error)")
                return
            }
        }

        signer.sign(
            &request, credentials: AWSCredentialSet(accessKeyId: "AKID", secretAccessKey: "secret"),
            date: now.addingTimeInterval(-3600))
        do {
            try verifier.verify(request, now: now)
            Issue.record("an hour of skew must be refused")
        } catch {
            guard case .requestTimeTooSkewed = error else {
                Issue.record("got \(error)")
                return
            }
        }
    }

    @Test func credentialDescriptionsNeverShowSecrets() {
        let c = AWSCredentialSet(
            accessKeyId: "AKIAEXAMPLEKEY1234", secretAccessKey: "s3cr3t/KEY+value",
            sessionToken: "TOKENVALUE")
        for text in [c.description, c.debugDescription, "\(c)", String(reflecting: c)] {
            #expect(!text.contains("s3cr3t"))
            #expect(!text.contains("TOKENVALUE"))
            #expect(!text.contains("AKIAEXAMPLEKEY"))
            #expect(text.contains("1234"))
        }
    }
}
