import ArgumentParser
import Foundation

@main
struct GlacierFSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "glacierfs",
        abstract: "Read the output of Amazon S3 Glacier jobs as ordinary, verified, cached files.",
        discussion: """
            Typical use: start a retrieval, wait for it, mount, and copy the files out.
              glacierfs retrieve photos <archive id> --wait
              glacierfs mount ~/glacier
              cp ~/glacier/photos/jobs/<job id>/output ./restored.tar

            Try it with no AWS account: `glacierfs demo` runs everything on a local emulator.

            \(GlacierExit.summary)
            """,
        version: "0.1.0",
        subcommands: [
            MountCommand.self, UnmountCommand.self, StatusCommand.self, JobsCommand.self,
            RetrieveCommand.self, InventoryCommand.self, CacheCommand.self, DemoCommand.self,
            MigrateCommand.self, BenchCommand.self,
        ])

    /// ArgumentParser's own entry point, except that a `UserFacingError` exits with its own code
    /// (the table above) and a plain message, not with 1.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as UserFacingError {
            FileHandle.standardError.write(Data("glacierfs: \(error.message)\n".utf8))
            Foundation.exit(error.exitCode)
        } catch {
            exit(withError: error)
        }
    }
}
