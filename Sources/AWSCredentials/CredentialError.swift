/// Why credentials could not be found, phrased so the user knows what to do next. These
/// messages never contain a secret.
public enum CredentialError: Error, Sendable, Equatable, CustomStringConvertible {
    case notFound(tried: [String])
    case profileNotFound(profile: String, files: [String])
    case incompleteProfile(profile: String, file: String, missing: String)
    case unsupportedProfile(profile: String, feature: String)
    /// `command` is what may be shown of it: the program's name, without its arguments.
    case processFailed(command: String, reason: String)
    case instanceMetadata(String)

    public var description: String {
        switch self {
        case .notFound(let tried):
            return "no AWS credentials found (looked in: \(tried.joined(separator: "; "))). Set AWS_ACCESS_KEY_ID "
                + "and AWS_SECRET_ACCESS_KEY, run `aws configure`, or pass --profile NAME."
        case .profileNotFound(let profile, let files):
            return "the AWS profile '\(profile)' is not defined in \(files.joined(separator: " or ")). Check the "
                + "name with `aws configure list-profiles`."
        case .incompleteProfile(let profile, let file, let missing):
            return "the AWS profile '\(profile)' in \(file) has no \(missing)."
        case .unsupportedProfile(let profile, let feature):
            return "the AWS profile '\(profile)' uses \(feature), which glacierfs does not resolve itself. Add "
                + "`credential_process = aws configure export-credentials --profile \(profile) --format process` "
                + "to a profile and use that one, or export temporary credentials in the environment."
        case .processFailed(let command, let reason):
            return "credential_process \(command) failed: \(reason)"
        case .instanceMetadata(let reason):
            return "EC2 instance metadata credentials failed: \(reason)"
        }
    }
}
