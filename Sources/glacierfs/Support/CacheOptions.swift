import ArgumentParser
import OutputCache

/// The disk cache's options, the same for every command that reads through the engine (`mount`,
/// `migrate`), so both find one cache the same way.
struct CacheOptions: ParsableArguments {
    @Option(
        name: .customLong("cache-dir"),
        help: ArgumentHelp(
            "Where verified data is cached, shared by mount and migrate (default: ~/.cache/glacierfs).",
            valueName: "path"))
    var cacheDir: String?

    @Option(
        name: .customLong("cache-size"),
        help: ArgumentHelp("The most job output to keep cached, e.g. 20G or 500M.", valueName: "size"))
    var cacheSize = ByteSize(bytes: 20 << 30)

    var directory: String { cacheDir ?? OutputCache.defaultDirectory() }

    func validate() throws {
        guard cacheSize.bytes >= 8 << 20 else { throw ValidationError("--cache-size must be at least 8M") }
    }
}
