import CPlatformSupport
import Foundation
import GlacierIntegrity

/// What the demo shows once mounted: the tree, then the big binary copied out with plain `cp`,
/// how fast, how glacierfs verified it, and that its SHA-256 matches the original's.
struct DemoTour {
    let layout: DemoLayout
    let seed: DemoSeed
    let progress: ProgressDisplay

    func run() throws {
        let labels = Dictionary(uniqueKeysWithValues: seed.jobs.map { ($0.jobId, $0.label) })
        progress.say("")
        for line in DemoTree.lines(mountpoint: layout.mountpoint, labels: labels, order: seed.jobs.map(\.jobId)) {
            progress.say("  " + line)
        }
        progress.say("")
        let source = outputPath(seed.binaryJobId)
        let copy = try copyOut(source)
        try check(source: source, copy: copy)
    }

    func outputPath(_ jobId: String) -> String {
        "\(layout.mountpoint)/\(seed.vault)/jobs/\(jobId)/output"
    }

    /// `cp` from the mount, with a progress bar from the copy's growing size.
    private func copyOut(_ source: String) throws -> String {
        try FileManager.default.createDirectory(atPath: layout.restoredDirectory, withIntermediateDirectories: true)
        let destination = layout.restoredDirectory + "/" + DemoSeeder.binaryName
        let total = DemoSeeder.binarySize
        let log = layout.directory + "/cp.log"
        let start = Date()
        let pid = try ChildProcesses.spawn(
            "/bin/cp", [source, destination], environment: ProcessInfo.processInfo.environment,
            logFile: log)
        var status: Int32?
        var interrupted = false
        while status == nil {
            status = ChildProcesses.waitForExit(pid, timeout: 0.1)
            if !interrupted && DemoInterruption.requestedSignal != nil {
                interrupted = true
                kill(pid, SIGTERM)
            }
            let copied =
                (try? FileManager.default.attributesOfItem(atPath: destination)[.size] as? NSNumber)?.int64Value ?? 0
            progress.update(
                "Copying \(DemoSeeder.binaryName) out of the mount with /bin/cp: "
                    + "\(ByteSize.format(copied)) of \(ByteSize.format(total))",
                fraction: Double(copied) / Double(total))
        }
        let seconds = max(Date().timeIntervalSince(start), 0.001)
        try DemoInterruption.check()
        guard status == 0 else {
            let output = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").trimmingCharacters(
                in: .whitespacesAndNewlines)
            progress.finish("✗ Copying \(DemoSeeder.binaryName) failed")
            throw UserFacingError(
                "cp from the mount failed (exit \(status ?? -1)): \(output). The mount's log is "
                    + "\(layout.cacheDirectory)/glacierfs.log.")
        }
        let rate = Double(total) / seconds / Double(1 << 20)
        progress.finish(
            String(
                format:
                    "✓ Copied %@ with /bin/cp in %.2f s (%.0f MiB/s), fetched from the emulator and verified on the way",
                ByteSize.format(total), seconds, rate))
        progress.say("    from \(source)")
        progress.say("    to   \(destination)")
        return destination
    }

    private func check(source: String, copy: String) throws {
        // The whole-output root is checked once the last leaf is in the cache, just after cp ends.
        var verified = Self.attribute(source, "user.glacier.verified") ?? "(attribute unreadable)"
        let deadline = Date().addingTimeInterval(10)
        while !verified.hasPrefix("complete") && Date() < deadline {
            usleep(50_000)
            verified = Self.attribute(source, "user.glacier.verified") ?? "(attribute unreadable)"
        }
        progress.say((verified.hasPrefix("complete") ? "✓" : "!") + " Verification by glacierfs: \(verified)")
        progress.say("    see it yourself: getfattr -n user.glacier.verified \(DemoShell.quote(source))")
        let sha = try Self.sha256(of: copy)
        guard sha == seed.binarySHA256 else {
            throw UserFacingError(
                "the copy's SHA-256 \(sha) differs from the original's \(seed.binarySHA256). This is a "
                    + "glacierfs bug: please report it with the log \(layout.cacheDirectory)/glacierfs.log.",
                exitCode: GlacierExit.integrity)
        }
        progress.say("✓ SHA-256 of the copy matches the original: \(sha)")
    }

    /// An extended attribute's value as text, read the way getfattr does.
    static func attribute(_ path: String, _ name: String) -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = glfs_getxattr(path, name, &buffer, buffer.count)
        guard n >= 0 else { return nil }
        return String(decoding: buffer[0 ..< n], as: UTF8.self)
    }

    static func sha256(of path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw UserFacingError("cannot read the copy at \(path)")
        }
        defer { try? handle.close() }
        let hasher = SHA256Hasher()
        while let chunk = try handle.read(upToCount: 4 << 20), !chunk.isEmpty {
            chunk.withUnsafeBytes { hasher.update($0) }
        }
        return hasher.finalize().hex
    }
}

/// Quoting for commands the demo prints for the user to paste.
enum DemoShell {
    static func quote(_ word: String) -> String {
        let plain = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:=@%+,")
        if !word.isEmpty && word.allSatisfy({ plain.contains($0) }) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// How to call glacierfs in printed commands: `glacierfs` if that is this program on PATH,
    /// else its full path.
    static var glacierfs: String {
        let me = URL(fileURLWithPath: ChildProcesses.selfExecutable).resolvingSymlinksInPath().path
        if let onPath = MountPreflight.findExecutable("glacierfs"),
            URL(fileURLWithPath: onPath).resolvingSymlinksInPath().path == me
        {
            return "glacierfs"
        }
        return quote(me)
    }
}
