import Foundation
import Synchronization

/// Ctrl-C (or SIGTERM, SIGHUP) while the demo is being set up. The emulator and the mount run in
/// sessions of their own, so the signal reaches only the demo, which must not leave them behind.
/// The first signal stops the emulator, so whatever waits on it fails fast, and makes the demo
/// stop at its next check; the demo's own error path then tears everything down, so no two
/// threads ever clean up at once. A second signal exits at once.
///
/// A plain sigaction handler rather than a dispatch source: a dispatch source starts listening
/// only some time after `resume()`, and a signal in between would be lost.
enum DemoInterruption {
    private static let signals = [SIGINT, SIGTERM, SIGHUP]

    static func install() {
        _ = interruptRequest  // initialise it here, never inside the handler
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { sig in handleInterrupt(sig) }
        sigemptyset(&action.sa_mask)
        action.sa_flags = Int32(SA_RESTART)
        for sig in signals { sigaction(sig, &action, nil) }
    }

    /// The emulator to stop on the first signal.
    static func watch(emulator pid: pid_t) {
        interruptRequest.emulatorPid.store(pid, ordering: .releasing)
    }

    /// The signal that asked the demo to stop, if one did.
    static var requestedSignal: Int32? {
        let sig = interruptRequest.signal.load(ordering: .acquiring)
        return sig == 0 ? nil : sig
    }

    /// Throws once a signal asked the demo to stop.
    static func check() throws {
        if let sig = requestedSignal { throw error(sig) }
    }

    static func error(_ sig: Int32) -> UserFacingError {
        UserFacingError("interrupted.", exitCode: 128 + sig)
    }

    /// The demo is set up (or cleaned up): signals act as usual again.
    static func disarm() {
        for sig in signals { signal(sig, SIG_DFL) }
    }
}

/// What the handler shares with the demo; only lock-free atomics, which a handler may touch.
private final class InterruptRequest: Sendable {
    let signal = Atomic<Int32>(0)
    let emulatorPid = Atomic<Int32>(0)
}

private let interruptRequest = InterruptRequest()

/// Runs in signal context: atomics, kill(2), write(2) and _exit(2) only.
private func handleInterrupt(_ sig: Int32) {
    if interruptRequest.signal.exchange(sig, ordering: .acquiringAndReleasing) != 0 {
        let text: StaticString =
            "\nglacierfs demo: interrupted again; exiting now. Clean up with `glacierfs demo --stop DIR`.\n"
        _ = write(2, text.utf8Start, text.utf8CodeUnitCount)
        _exit(128 + sig)
    }
    let text: StaticString = "\nglacierfs demo: interrupted; cleaning up… (interrupt again to exit at once)\n"
    _ = write(2, text.utf8Start, text.utf8CodeUnitCount)
    let pid = interruptRequest.emulatorPid.load(ordering: .acquiring)
    if pid > 0 { kill(pid, SIGTERM) }
}
