import AWSSigning
import Foundation
import HTTPTransport

/// Credentials of the EC2 instance's IAM role, through IMDSv2: a session token from
/// `PUT /latest/api/token`, then the role name and its credentials.
struct InstanceMetadataCredentialProvider: CredentialProvider {
    let environment: AWSEnvironment
    let http: HTTPClient

    var name: String { "EC2 instance metadata (\(endpoint))" }

    var endpoint: String {
        var e = environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"] ?? "http://169.254.169.254"
        while e.hasSuffix("/") { e.removeLast() }
        return e
    }

    var disabled: Bool { environment["AWS_EC2_METADATA_DISABLED"]?.lowercased() == "true" }

    struct RoleCredentials: Decodable {
        var Code: String?
        var AccessKeyId: String
        var SecretAccessKey: String
        var Token: String?
        var Expiration: String?
    }

    func resolve() async throws -> AWSCredentialSet? {
        guard !disabled else { return nil }
        let token: String
        do {
            var headers = HTTPHeaders()
            headers.add("X-aws-ec2-metadata-token-ttl-seconds", "21600")
            let r = try await http.send(
                HTTPRequest(
                    method: "PUT", url: endpoint + "/latest/api/token",
                    headers: headers, timeoutSeconds: 2), into: .collect(limit: 4096))
            guard r.status == 200 else { return nil }  // not an instance, or IMDS refuses tokens
            token = String(decoding: r.body, as: UTF8.self)
        } catch {
            return nil  // nothing listens: this is not an EC2 instance
        }
        var headers = HTTPHeaders()
        headers.add("X-aws-ec2-metadata-token", token)
        let base = endpoint + "/latest/meta-data/iam/security-credentials/"
        let roles = try await fetch(base, headers)
        guard let role = String(decoding: roles, as: UTF8.self).split(whereSeparator: \.isNewline).first else {
            throw CredentialError.instanceMetadata("the instance has no IAM role attached")
        }
        let body = try await fetch(base + role, headers)
        guard let creds = try? JSONDecoder().decode(RoleCredentials.self, from: Data(body)) else {
            throw CredentialError.instanceMetadata("the credentials document for role '\(role)' is not valid JSON")
        }
        if let code = creds.Code, code != "Success" {
            throw CredentialError.instanceMetadata("the metadata service answered Code=\(code) for role '\(role)'")
        }
        return AWSCredentialSet(
            accessKeyId: creds.AccessKeyId, secretAccessKey: creds.SecretAccessKey,
            sessionToken: creds.Token, expiration: creds.Expiration.flatMap(ExpirationDate.parse))
    }

    private func fetch(_ url: String, _ headers: HTTPHeaders) async throws -> [UInt8] {
        let r: HTTPResponse
        do {
            r = try await http.send(
                HTTPRequest(method: "GET", url: url, headers: headers, timeoutSeconds: 2),
                into: .collect(limit: 64 * 1024))
        } catch {
            throw CredentialError.instanceMetadata("\(error)")
        }
        guard r.status == 200 else { throw CredentialError.instanceMetadata("HTTP \(r.status) from \(url)") }
        return r.body
    }
}
