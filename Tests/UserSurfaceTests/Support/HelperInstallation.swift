import Foundation
import GlacierTestSupport

/// Puts mount-helpers/mount.glacierfs where mount(8) looks for `mount.<type>` helpers for the
/// length of one test, and takes it away afterwards, restoring anything it displaced. libmount
/// searches /sbin, then /sbin/fs.d, then /sbin/fs.
enum HelperInstallation {
    static let sbinHelper = "/sbin/mount.glacierfs"

    static func with<T>(_ body: () async throws -> T) async throws -> T {
        let fm = FileManager.default
        var displaced: String?
        let target: String
        if fm.fileExists(atPath: sbinHelper) {
            // An installed helper would be found first: set it aside for the test.
            displaced = sbinHelper + ".surface-tests-\(getpid())"
            try fm.moveItem(atPath: sbinHelper, toPath: displaced!)
            target = sbinHelper
        } else if fm.fileExists(atPath: "/sbin/fs.d") {
            target = "/sbin/fs.d/mount.glacierfs"
        } else {
            target = sbinHelper
        }
        defer {
            unlink(target)
            if let displaced { try? fm.moveItem(atPath: displaced, toPath: sbinHelper) }
        }
        unlink(target)  // a copy left by an interrupted run
        try fm.copyItem(atPath: Surface.helperScript, toPath: target)
        chmod(target, 0o755)
        return try await body()
    }
}
