import ArgumentParser
import Foundation

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Try glacierfs with no AWS account: a local Glacier emulator, a sample vault, and a real mount.",
        discussion: """
            Starts a Glacier emulator on 127.0.0.1 with fresh random credentials, uploads sample \
            archives to a vault (a tar of generated files and a 70 MiB random binary), starts \
            retrieval and inventory jobs that complete at once, and mounts their outputs at \
            DIRECTORY. It then shows the tree, copies the binary out with cp, and checks it against \
            the original. The mount stays for you to look around until you stop it.

            Needs FUSE 3 (/dev/fuse, fusermount3) and about 400 MiB of free space under \
            ~/.cache/glacierfs/demo (or $XDG_CACHE_HOME/glacierfs/demo), where the demo keeps its \
            data, cache and process ids.

            Examples:
              glacierfs demo                  mount at ./glacier-demo, and leave it mounted
              glacierfs demo --stop           unmount, stop the emulator, delete its data
              glacierfs demo /tmp/g --exit    run it all, then clean up (for scripts)

            \(GlacierExit.summary)
            """)

    @Argument(
        help: ArgumentHelp(
            "Where to mount the demo: a new or empty directory (default: ./glacier-demo).",
            valueName: "directory"))
    var directory: String?

    @Flag(name: .customLong("stop"), help: "Stop the demo at DIRECTORY: unmount, stop its emulator, delete its data.")
    var stop = false

    @Flag(name: .customLong("exit"), help: "Clean up as soon as the demo has run, instead of leaving it mounted.")
    var exitWhenDone = false

    func validate() throws {
        if stop && exitWhenDone {
            throw ValidationError("--stop and --exit do not go together: --exit already cleans up after itself")
        }
    }

    func run() throws {
        let mountpoint = URL(fileURLWithPath: directory ?? "glacier-demo").standardizedFileURL.path
        do {
            if stop {
                try DemoStopper(layout: DemoLayout(mountpoint: mountpoint), explicit: directory != nil).run()
            } else {
                try DemoRunner(layout: DemoLayout(mountpoint: mountpoint), exitWhenDone: exitWhenDone).run()
            }
        } catch let error as UserFacingError {
            FileHandle.standardError.write(Data("glacierfs demo: \(error.message)\n".utf8))
            throw ExitCode(error.exitCode)
        }
    }
}
