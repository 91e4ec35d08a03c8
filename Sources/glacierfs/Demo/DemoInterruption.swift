import Dispatch
import Foundation
import Synchronization

/// Ctrl-C (or SIGTERM, SIGHUP) while the demo is being set up. The emulator and the mount run in
/// sessions of their own, so the signal reaches only the demo, which must not leave them behind.
/// The first signal stops the emulator, so whatever waits on it fails fast, and makes the demo
/// stop at its next check; the demo's own error path then tears everything down, so no two
/// threads ever clean up at once. A second signal exits at once.
struct DemoInterruption {
    private let sources: [any DispatchSourceSignal]

    /// The signal that asked the demo to stop, or 0.
    private final class Request: Sendable {
        let signal = Atomic<Int32>(0)
    }
    private static let request = Request()

    static func install(layout: DemoLayout) -> DemoInterruption {
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            signal(sig, SIG_IGN)  // the dispatch source, not the default action, handles it
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                let earlier = request.signal.exchange(sig, ordering: .acquiringAndReleasing)
                if earlier != 0 {
                    say("interrupted again; exiting now. Clean up with `\(DemoShell.glacierfs) demo --stop "
                        + "\(DemoShell.quote(layout.mountpoint))`.")
                    exit(128 + sig)
                }
                say("interrupted; cleaning up… (interrupt again to exit at once)")
                if let pid = DemoState.load(layout)?.emulatorPid, DemoProcess.commandLine(pid).contains(layout.emulatorData) {
                    kill(pid, SIGTERM)
                }
            }
            source.resume()
            sources.append(source)
        }
        return DemoInterruption(sources: sources)
    }

    /// The signal that asked the demo to stop, if one did.
    static var requestedSignal: Int32? {
        let sig = request.signal.load(ordering: .acquiring)
        return sig == 0 ? nil : sig
    }

    /// Throws once a signal asked the demo to stop.
    static func check() throws {
        if let sig = requestedSignal { throw error(sig) }
    }

    static func error(_ sig: Int32) -> UserFacingError {
        UserFacingError("interrupted.", exitCode: 128 + sig)
    }

    /// The demo is set up (or being cleaned up on purpose): signals act as usual again.
    func disarm() {
        sources.forEach { $0.cancel() }
        for sig in [SIGINT, SIGTERM, SIGHUP] { signal(sig, SIG_DFL) }
    }

    private static func say(_ text: String) {
        FileHandle.standardError.write(Data("\nglacierfs demo: \(text)\n".utf8))
    }
}
