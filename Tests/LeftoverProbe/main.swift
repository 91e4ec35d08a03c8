// A test process that dies badly, for LeftoverProcessTests: starts an emulator and a mount the
// way the tests do, reports them on stdout, then waits to be killed with SIGKILL.
import Foundation
import GlacierTestSupport

let emulator = try await EmulatorProcess.start()
let cache = TempDirectory.make("probe-cache").path
let mounted = try await MountedFileSystem.mount(
    endpoint: emulator.endpoint, environment: emulator.environment,
    cacheDirectory: cache)
let daemon = await mounted.daemonPid() ?? 0
let report = "ready \(emulator.child.pid) \(daemon) \(mounted.mountpoint) \(cache) \(emulator.dataDirectory.path)\n"
FileHandle.standardOutput.write(Data(report.utf8))  // unbuffered: the test waits for this line
while true { sleep(60) }
