import ArgumentParser
import Foundation
import OutputCache

struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "Inspect or shrink the disk cache of verified job output.",
        subcommands: [
            CacheStatusCommand.self, CacheVerifyCommand.self, CachePruneCommand.self, CacheClearCommand.self,
        ],
        defaultSubcommand: CacheStatusCommand.self)
}

struct CacheLocation: ParsableArguments {
    @Option(
        name: .customLong("cache-dir"),
        help: ArgumentHelp("The cache directory (default: ~/.cache/glacierfs).", valueName: "path"))
    var cacheDir: String?

    var directory: String { cacheDir ?? OutputCache.defaultDirectory() }

    /// Opens the cache for changes; fails while a mount uses it.
    func openForChanges() throws -> OutputCache {
        guard FileManager.default.fileExists(atPath: directory) else {
            throw UserFacingError(
                "there is no cache at \(directory); give --cache-dir for the one your mount uses.",
                exitCode: GlacierExit.cache)
        }
        do {
            return try OutputCache(directory: directory, maxBytes: .max)
        } catch {
            throw UserFacingError(error.description, exitCode: GlacierExit.cache)
        }
    }
}

struct CacheStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "List what the cache holds.")

    @OptionGroup var location: CacheLocation

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let usage = OutputCache.inspect(directory: location.directory)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(usage), as: UTF8.self))
            return
        }
        print(
            "cache \(usage.directory): \(ByteSize.format(usage.usedBytes)) in \(usage.outputs.count) output(s), "
                + "\(ByteSize.format(usage.freeDiskBytes)) free on disk")
        guard !usage.outputs.isEmpty else { return }
        var table = TextTable(header: ["ENDPOINT", "VAULT", "JOB", "SIZE", "CACHED", "VERIFIED"])
        for o in usage.outputs.sorted(by: { $0.lastAccess > $1.lastAccess }) {
            table.rows.append([
                o.key.endpoint, o.key.vault, Self.shortId(o.key.jobId), ByteSize.format(o.size),
                ByteSize.format(o.cachedBytes), o.verificationSummary,
            ])
        }
        print(table.render())
    }

    static func shortId(_ id: String) -> String { id.count > 20 ? id.prefix(16) + "…" : id }
}

struct CachePruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Evict least recently used data until the cache is at most SIZE (unmount first).")

    @OptionGroup var location: CacheLocation

    @Option(name: .customLong("to"), help: ArgumentHelp("The size to shrink to, e.g. 5G.", valueName: "size"))
    var target: ByteSize

    func run() throws {
        let cache = try location.openForChanges()
        let before = cache.usage().usedBytes
        cache.prune(toBytes: target.bytes)
        print("cache \(cache.directory): \(ByteSize.format(before)) → \(ByteSize.format(cache.usage().usedBytes))")
    }
}

struct CacheClearCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clear", abstract: "Remove everything cached (unmount first).")

    @OptionGroup var location: CacheLocation

    func run() throws {
        let cache = try location.openForChanges()
        let before = cache.usage()
        cache.clear()
        print(
            "cache \(cache.directory): removed \(before.outputs.count) output(s), \(ByteSize.format(before.usedBytes))")
    }
}
