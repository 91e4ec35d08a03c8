import Foundation

/// Undoes a demo, in order: the mount (so the daemon saves nothing into a directory about to
/// go), the emulator, then every file. Each step checks that what it stops still belongs to the
/// demo, since pids in an old state file may have been reused.
struct DemoTeardown {
    let layout: DemoLayout

    /// What was done, one short phrase per step, for the caller to report.
    @discardableResult
    func run(state: DemoState?) throws -> [String] {
        var done: [String] = []
        let mountpoint = layout.mountpoint
        if let entry = MountPreflight.mountEntry(at: mountpoint) {
            guard entry.contains("glacierfs") else {
                throw UserFacingError(
                    "\(mountpoint) is mounted by something other than the demo (\(entry)). "
                        + "Unmount it yourself, then run `glacierfs demo --stop \(DemoShell.quote(mountpoint))` again.",
                    exitCode: GlacierExit.mountpoint)
            }
            try unmount()
            done.append("unmounted \(mountpoint)")
        }
        if let pid = state?.daemonPid, ChildProcesses.isAlive(pid),
            ChildProcesses.commandLine(pid).contains(mountpoint)
        {
            ChildProcesses.terminate(pid, grace: 10)
        }
        if let pid = state?.emulatorPid, ChildProcesses.isAlive(pid),
            ChildProcesses.commandLine(pid).contains(layout.emulatorData)
        {
            guard ChildProcesses.terminate(pid, grace: 10) else {
                throw UserFacingError(
                    "the demo's emulator (pid \(pid)) does not stop. Stop it with `kill -9 \(pid)`, "
                        + "then run `glacierfs demo --stop \(DemoShell.quote(mountpoint))` again.")
            }
            done.append("stopped the emulator (pid \(pid))")
        } else if let pid = state?.emulatorPid {
            _ = ChildProcesses.waitForExit(pid, timeout: 0)  // reap it if it died as our child
        }
        if FileManager.default.fileExists(atPath: layout.directory) {
            do { try FileManager.default.removeItem(atPath: layout.directory) } catch {
                throw UserFacingError(
                    "cannot remove the demo's data at \(layout.directory): \(error.localizedDescription). "
                        + "Remove it with `rm -rf \(DemoShell.quote(layout.directory))`.")
            }
            done.append("removed its data (\(layout.directory))")
        }
        if state?.createdMountpoint == true, rmdir(mountpoint) == 0 {
            done.append("removed the directory \(mountpoint)")
        }
        return done
    }

    /// `glacierfs unmount`, which waits for the daemon to finish; a lazy unmount if that fails.
    private func unmount() throws {
        let mountpoint = layout.mountpoint
        let log =
            FileManager.default.fileExists(atPath: layout.directory)
            ? layout.directory + "/unmount.log"
            : NSTemporaryDirectory() + "/glacierfs-demo-unmount-\(getpid()).log"
        defer { if !log.hasPrefix(layout.directory) { unlink(log) } }
        let result = try? ChildProcesses.run(
            ChildProcesses.selfExecutable, ["unmount", mountpoint],
            environment: ProcessInfo.processInfo.environment, logFile: log, timeout: 60)
        if MountPreflight.mountEntry(at: mountpoint) != nil,
            let fusermount = MountPreflight.findExecutable("fusermount3")
        {
            _ = try? ChildProcesses.run(
                fusermount, ["-uz", mountpoint], environment: ProcessInfo.processInfo.environment,
                logFile: log, timeout: 30)
        }
        guard MountPreflight.mountEntry(at: mountpoint) == nil else {
            let detail = result?.output.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            throw UserFacingError(
                "could not unmount \(mountpoint)\(detail.isEmpty ? "" : ": \(detail)"). Is a program "
                    + "still using it (`fuser -vm \(DemoShell.quote(mountpoint))`)? Close it, then run "
                    + "`glacierfs demo --stop \(DemoShell.quote(mountpoint))` again.",
                exitCode: GlacierExit.mountpoint)
        }
    }
}
