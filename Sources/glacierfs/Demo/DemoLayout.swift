import Foundation
import OutputCache

/// Where one demo keeps everything it makes, so `glacierfs demo --stop` can find and remove all
/// of it. Each mountpoint has its own directory, so demos in different places never collide:
///
///     ~/.cache/glacierfs/demo/<mountpoint name>-<hash of its path>/
///       state.json     what runs: mountpoint, pids, endpoint (never the credentials)
///       emulator/      the emulator's data: vaults, archives, jobs
///       emulator.log   the emulator's output
///       cache/         the mount's cache directory, with the daemon's log (glacierfs.log)
///       mount.log      what `glacierfs mount` printed
///       seed/          the sample files while they are made and uploaded
///       restored/      the file the demo copies out of the mount
struct DemoLayout: Sendable {
    /// The absolute mountpoint.
    let mountpoint: String
    /// The demo's own directory.
    let directory: String

    init(mountpoint: String, root: String = DemoLayout.root()) {
        self.mountpoint = mountpoint
        directory = root + "/" + Self.key(for: mountpoint)
    }

    /// `$XDG_CACHE_HOME/glacierfs/demo`, else `~/.cache/glacierfs/demo`: beside the default
    /// cache's own `outputs/`, which ignores it.
    static func root(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        OutputCache.defaultDirectory(environment: environment) + "/demo"
    }

    var stateFile: String { directory + "/state.json" }
    var emulatorData: String { directory + "/emulator" }
    var emulatorLog: String { directory + "/emulator.log" }
    var cacheDirectory: String { directory + "/cache" }
    var mountLog: String { directory + "/mount.log" }
    var seedDirectory: String { directory + "/seed" }
    var restoredDirectory: String { directory + "/restored" }

    /// A readable, unique directory name: the mountpoint's last component and a hash of the path.
    static func key(for mountpoint: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        let last = (mountpoint as NSString).lastPathComponent
        var name = String(last.map { allowed.contains($0) ? $0 : "_" }.prefix(40))
        if name.isEmpty || name == "/" || name.hasPrefix(".") { name = "demo" + name }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a: stable across runs, unlike Hasher
        for byte in mountpoint.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return name + "-" + String(String(hash, radix: 16).suffix(10))
    }

    /// Every demo that has a state file under `root`, oldest first.
    static func all(root: String = DemoLayout.root()) -> [(layout: DemoLayout, state: DemoState)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.compactMap { name -> (DemoLayout, DemoState)? in
            guard let data = FileManager.default.contents(atPath: root + "/" + name + "/state.json"),
                let state = try? DemoState.decoder.decode(DemoState.self, from: data)
            else { return nil }
            let layout = DemoLayout(mountpoint: state.mountpoint, root: root)
            return layout.directory == root + "/" + name ? (layout, state) : nil
        }.sorted { $0.1.startedAt < $1.1.startedAt }
    }
}
