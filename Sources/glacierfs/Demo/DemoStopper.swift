import Foundation

/// `glacierfs demo --stop [DIRECTORY]`.
struct DemoStopper {
    let layout: DemoLayout
    /// Whether the user named the directory; if not and no demo is at ./glacier-demo, the only
    /// demo running anywhere is the one meant.
    let explicit: Bool

    func run() throws {
        if let state = DemoState.load(layout) {
            return try stop(layout, state)
        }
        let others = DemoLayout.all()
        if !explicit, others.count == 1 {
            return try stop(others[0].layout, others[0].state)
        }
        if let entry = MountPreflight.mountEntry(at: layout.mountpoint), entry.contains("glacierfs") {
            throw UserFacingError(
                "\(layout.mountpoint) is a glacierfs mount, but not one the demo started (it has no "
                    + "state in \(layout.directory)). Unmount it with "
                    + "`\(DemoShell.glacierfs) unmount \(DemoShell.quote(layout.mountpoint))`.",
                exitCode: GlacierExit.mountpoint)
        }
        print("No demo is running at \(layout.mountpoint); nothing to stop.")
        if !others.isEmpty {
            print("Demos that are running:")
            for other in others {
                print("  \(DemoShell.glacierfs) demo --stop \(DemoShell.quote(other.layout.mountpoint))")
            }
        }
    }

    private func stop(_ layout: DemoLayout, _ state: DemoState) throws {
        let done = try DemoTeardown(layout: layout).run(state: state)
        print(
            "✓ Stopped the demo at \(layout.mountpoint)"
                + (done.isEmpty ? "." : ": " + done.joined(separator: ", ") + "."))
    }
}
