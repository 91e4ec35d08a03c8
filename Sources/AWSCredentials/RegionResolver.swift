/// Finds the region as the AWS CLI does: AWS_REGION, AWS_DEFAULT_REGION, then the profile's
/// `region` in the config file.
public enum RegionResolver {
    public static func resolve(
        profile explicitProfile: String?, environment: AWSEnvironment = AWSEnvironment()
    )
        -> String?
    {
        if let r = environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] { return r }
        let profile = environment.profileName(explicit: explicitProfile)
        return environment.loadConfigFile()?.profiles[profile]?["region"]
    }
}
