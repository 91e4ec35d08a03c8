import AWSSigning

/// A named profile from the shared credentials file and the config file, including its
/// `credential_process`.
struct ProfileCredentialProvider: CredentialProvider {
    let environment: AWSEnvironment
    let profile: String
    /// Whether the profile was asked for by name (then its absence is an error, not a skip).
    let explicit: Bool

    var name: String { "profile '\(profile)' in \(environment.credentialsFilePath) and \(environment.configFilePath)" }

    func resolve() async throws -> AWSCredentialSet? {
        let credentialsFile = environment.loadCredentialsFile()
        let configFile = environment.loadConfigFile()
        let fromCredentials = credentialsFile?.profiles[profile]
        let fromConfig = configFile?.profiles[profile]
        guard fromCredentials != nil || fromConfig != nil else {
            if explicit {
                throw CredentialError.profileNotFound(
                    profile: profile,
                    files: [
                        environment.credentialsFilePath,
                        environment.configFilePath,
                    ])
            }
            return nil
        }
        // The credentials file wins over the config file for the same key, as in the AWS CLI.
        let settings = (fromConfig ?? [:]).merging(fromCredentials ?? [:]) { _, credentialsValue in credentialsValue }
        if let id = settings["aws_access_key_id"] {
            guard let secret = settings["aws_secret_access_key"] else {
                throw CredentialError.incompleteProfile(
                    profile: profile, file: environment.credentialsFilePath,
                    missing: "aws_secret_access_key")
            }
            return AWSCredentialSet(
                accessKeyId: id, secretAccessKey: secret,
                sessionToken: settings["aws_session_token"] ?? settings["aws_security_token"])
        }
        if let command = settings["credential_process"] {
            return try await CredentialProcess(command: command).run()
        }
        for (key, feature) in [
            ("role_arn", "role_arn (assume role)"), ("sso_session", "IAM Identity Center (SSO)"),
            ("sso_start_url", "IAM Identity Center (SSO)"),
            ("web_identity_token_file", "web identity tokens"),
        ]
        where settings[key] != nil {
            throw CredentialError.unsupportedProfile(profile: profile, feature: feature)
        }
        return nil
    }
}
