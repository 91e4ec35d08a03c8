import ArgumentParser

/// glacierfs's exit codes (also listed in the README and `glacierfs --help`).
enum GlacierExit {
    static let failure: Int32 = 1  // anything not listed below
    static let usage: Int32 = 64  // a wrong option or argument (EX_USAGE, as ArgumentParser exits)
    static let credentials: Int32 = 3  // credentials missing, or rejected by the service
    static let unreachable: Int32 = 4  // the endpoint cannot be reached (and nothing is cached)
    static let mountpoint: Int32 = 5  // the mountpoint is missing, not empty, or already mounted
    static let fuseUnavailable: Int32 = 6  // /dev/fuse or fusermount3 is missing
    static let cache: Int32 = 7  // the cache directory cannot be used
    static let service: Int32 = 8  // the service refused the request (e.g. no such vault or job)
    static let integrity: Int32 = 9  // data failed verification

    static let summary = """
        EXIT CODES
          0 success                  1 other failure        64 usage error
          3 credentials missing or rejected                  4 endpoint unreachable
          5 mountpoint problem       6 FUSE unavailable     7 cache unusable
          8 refused by the service   9 verification failed
        """
}

/// An error that carries its message and exit code to the top level.
struct UserFacingError: Error, CustomStringConvertible {
    let message: String
    let exitCode: Int32

    init(_ message: String, exitCode: Int32 = GlacierExit.failure) {
        self.message = message
        self.exitCode = exitCode
    }

    var description: String { message }
}
