import Foundation
import GlacierClient

/// `glacierfs demo`: emulator, sample vault, mount, tour; then either leave it running with
/// instructions, or (`--exit`) clean up at once.
struct DemoRunner {
    let layout: DemoLayout
    let exitWhenDone: Bool
    let progress = ProgressDisplay()

    /// Data, emulator copy, cache and restored copy of the 70 MiB binary, with room to spare.
    static let neededFreeBytes: Int64 = 400 << 20

    func run() throws {
        let createdMountpoint = try prepare()
        var state = DemoState(mountpoint: layout.mountpoint, createdMountpoint: createdMountpoint)
        try state.save(layout)
        DemoInterruption.install()
        do {
            let emulator = try LocalEmulator.start(layout: layout)
            DemoInterruption.watch(emulator: emulator.pid)
            state.emulatorPid = emulator.pid
            state.endpoint = emulator.endpoint
            try state.save(layout)
            progress.finish(
                "✓ Started a local Glacier emulator at \(emulator.endpoint) (pid \(emulator.pid)), "
                    + "with fresh random credentials")
            try DemoInterruption.check()

            let seed = try seedVault(emulator)
            try DemoInterruption.check()
            state.daemonPid = try mount(emulator)
            try state.save(layout)
            try DemoInterruption.check()
            try DemoTour(layout: layout, seed: seed, progress: progress).run()
            try DemoInterruption.check()
            state.ready = true
            try state.save(layout)
            if exitWhenDone {
                try finish()  // a signal now only lets the clean-up finish
                DemoInterruption.disarm()
                return
            }
            DemoInterruption.disarm()
            printNextSteps(seed)
        } catch {
            // Whatever failed, a signal is the reason to report.
            let failure =
                DemoInterruption.requestedSignal.map(DemoInterruption.error)
                ?? describe(error, endpoint: state.endpoint)
            let cleaned = (try? DemoTeardown(layout: layout).run(state: DemoState.load(layout) ?? state)) != nil
            DemoInterruption.disarm()
            throw UserFacingError(
                failure.message
                    + (cleaned
                        ? "\nThe demo has been cleaned up; nothing was left running."
                        : "\nCleaning up failed too: run `\(DemoShell.glacierfs) demo --stop \(DemoShell.quote(layout.mountpoint))`."),
                exitCode: failure.exitCode)
        }
    }

    /// A failure as a message that says what to do.
    private func describe(_ error: any Error, endpoint: String?) -> UserFacingError {
        if let error = error as? UserFacingError { return error }
        if error is GlacierError {
            return ServiceErrorReport.userFacing(error, endpoint: endpoint ?? "the demo emulator")
        }
        return UserFacingError(
            "\(error.localizedDescription). Check the free space and permissions under "
                + "\(layout.directory), then run the demo again.")
    }

    /// Stops an earlier demo on this directory, and checks the directory, FUSE and disk space
    /// before anything starts. True if it created the mountpoint.
    private func prepare() throws -> Bool {
        let mountpoint = layout.mountpoint
        if let old = DemoState.load(layout) {
            progress.say("A demo was already set up at \(mountpoint); stopping it first.")
            try DemoTeardown(layout: layout).run(state: old)
        }
        if let entry = MountPreflight.mountEntry(at: mountpoint) {
            throw UserFacingError(
                "\(mountpoint) is already mounted (\(entry)). Unmount it first "
                    + "(`\(DemoShell.glacierfs) unmount \(DemoShell.quote(mountpoint))`), or give the demo another "
                    + "directory: `\(DemoShell.glacierfs) demo ./glacier-demo-2`.", exitCode: GlacierExit.mountpoint)
        }
        try MountPreflight.checkFUSE()
        var isDirectory: ObjCBool = false
        var created = false
        if FileManager.default.fileExists(atPath: mountpoint, isDirectory: &isDirectory) {
            let contents = (try? FileManager.default.contentsOfDirectory(atPath: mountpoint)) ?? []
            guard isDirectory.boolValue, contents.isEmpty else {
                throw UserFacingError(
                    "\(mountpoint) is \(isDirectory.boolValue ? "not empty" : "not a directory"); the demo "
                        + "needs a new or empty directory to mount on. Try `\(DemoShell.glacierfs) demo ./glacier-demo-2`.",
                    exitCode: GlacierExit.mountpoint)
            }
        } else {
            do { try FileManager.default.createDirectory(atPath: mountpoint, withIntermediateDirectories: true) } catch
            {
                throw UserFacingError(
                    "cannot create the mountpoint \(mountpoint): \(error.localizedDescription). "
                        + "Pick a directory you can write to.", exitCode: GlacierExit.mountpoint)
            }
            created = true
        }
        do {
            try FileManager.default.createDirectory(atPath: layout.directory, withIntermediateDirectories: true)
        } catch {
            if created { rmdir(mountpoint) }
            throw UserFacingError(
                "cannot create the demo's directory \(layout.directory): \(error.localizedDescription). "
                    + "Set XDG_CACHE_HOME to a writable directory.")
        }
        var fs = statvfs()
        if statvfs(layout.directory, &fs) == 0, Int64(fs.f_bavail) * Int64(fs.f_frsize) < Self.neededFreeBytes {
            try? FileManager.default.removeItem(atPath: layout.directory)
            if created { rmdir(mountpoint) }
            throw UserFacingError(
                "the demo needs about \(ByteSize.format(Self.neededFreeBytes)) free in \(layout.directory); "
                    + "free some space, or set XDG_CACHE_HOME to a directory on a roomier disk.")
        }
        return created
    }

    private func seedVault(_ emulator: LocalEmulator) throws -> DemoSeed {
        let configuration = GlacierClientConfiguration(
            endpoint: emulator.endpoint, region: LocalEmulator.region,
            retry: RetryPolicy(maxAttempts: 4, baseDelaySeconds: 0.1))
        let client = GlacierClient(configuration: configuration, credentials: StaticCredentials(emulator.credentials))
        return try DemoSeeder(client: client, layout: layout, progress: progress).run()
    }

    /// `glacierfs mount` (this program), which returns once the daemon has mounted. Returns the
    /// daemon's pid.
    private func mount(_ emulator: LocalEmulator) throws -> Int32? {
        let arguments = [
            "mount", layout.mountpoint, "--endpoint", emulator.endpoint, "--region", LocalEmulator.region,
            "--cache-dir", layout.cacheDirectory,
        ]
        let result = try progress.spin(
            "Mounting at \(layout.mountpoint)", done: { _ in "Mounted at \(layout.mountpoint)" }
        ) {
            [layout] in
            try ChildProcesses.run(
                ChildProcesses.selfExecutable, arguments, environment: emulator.clientEnvironment(),
                logFile: layout.mountLog, timeout: 150)
        }
        guard result.status == 0 else {
            throw UserFacingError(
                "mounting the demo failed: \(result.output.trimmingCharacters(in: .whitespacesAndNewlines))",
                exitCode: result.status)
        }
        return StatusReader.read(mountpoint: layout.mountpoint)?.pid
    }

    private func finish() throws {
        let done = try DemoTeardown(layout: layout).run(state: DemoState.load(layout))
        progress.say("")
        progress.say("✓ Demo complete, and cleaned up: " + done.joined(separator: ", ") + ".")
    }

    private func printNextSteps(_ seed: DemoSeed) {
        let mountpoint = DemoShell.quote(layout.mountpoint)
        let jobs = DemoShell.quote("\(layout.mountpoint)/\(seed.vault)/jobs")
        let tar = DemoShell.quote("\(layout.mountpoint)/\(seed.vault)/jobs/\(seed.tarJobId)/output")
        let binary = DemoShell.quote("\(layout.mountpoint)/\(seed.vault)/jobs/\(seed.binaryJobId)/output")
        progress.say(
            """

            The demo stays mounted at \(layout.mountpoint). Look around:
              ls -l \(jobs)/*/
              tar -tvf \(tar)
              getfattr -d \(binary)
              \(DemoShell.glacierfs) status \(mountpoint)
            When you are done, stop it (unmounts, stops the emulator, deletes the demo's data):
              \(DemoShell.glacierfs) demo --stop \(mountpoint)
            """)
    }
}
