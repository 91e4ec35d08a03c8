import ArgumentParser
import Foundation
import GlacierFileSystem

struct UnmountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unmount",
        abstract: "Unmount a glacierfs mount and wait for its daemon to save the cache index.",
        aliases: ["umount"])

    @Argument(help: "The mountpoint.")
    var mountpoint: String

    @Option(help: "Seconds to wait for the daemon to finish.")
    var timeout: Double = 30

    func run() throws {
        let target = URL(fileURLWithPath: mountpoint).standardizedFileURL.path
        guard MountPreflight.mountEntry(at: target) != nil else {
            throw UserFacingError("\(target) is not mounted.", exitCode: GlacierExit.mountpoint)
        }
        let pid = StatusReader.read(mountpoint: target).map { $0.pid }
        let fusermount = MountPreflight.findExecutable("fusermount3") ?? "/bin/fusermount3"
        // As root, umount(8) also drops the record mount(8) keeps for mounts made through it.
        var result =
            getuid() == 0 ? Subprocess.run("/bin/umount", [target]) : Subprocess.run(fusermount, ["-u", target])
        if getuid() == 0 && result.status != 0 && MountPreflight.mountEntry(at: target) != nil {
            result = Subprocess.run(fusermount, ["-u", target])
        }
        if result.status != 0 && MountPreflight.mountEntry(at: target) != nil {
            // A dead daemon leaves a mount that cannot be unmounted normally.
            result = Subprocess.run(fusermount, ["-uz", target])
        }
        guard MountPreflight.mountEntry(at: target) == nil else {
            throw UserFacingError(
                "could not unmount \(target): \(result.output.trimmingCharacters(in: .whitespacesAndNewlines)). "
                    + "Is a program still using it? (`fuser -vm \(target)`)", exitCode: GlacierExit.mountpoint)
        }
        if let pid { _ = ChildProcesses.waitForExit(pid, timeout: timeout) }
        print("glacierfs: unmounted \(target)")
    }
}

/// Runs a program and collects its combined output.
enum Subprocess {
    static func run(_ path: String, _ arguments: [String]) -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do { try process.run() } catch { return (127, "\(path): \(error.localizedDescription)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
