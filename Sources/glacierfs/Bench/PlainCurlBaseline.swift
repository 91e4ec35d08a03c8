import AWSSigning
import Foundation

/// The baseline a user would reach for without glacierfs: one `curl` of the whole output, signed
/// by curl's own SigV4, written to /dev/null. Nothing is verified or stored.
enum PlainCurlBaseline {
    static func measure(_ w: BenchWorkspace) throws -> BenchReport.Throughput {
        guard
            let curl = ["/usr/bin/curl", "/bin/curl", "/usr/local/bin/curl"].first(
                where: FileManager.default.isExecutableFile)
        else {
            throw UserFacingError("curl is not installed, so the plain-curl baseline cannot run (apt-get install curl)")
        }
        let credentials = try runBlocking { try await w.client.credentials.credentials() }
        // The secret goes in a file only we can read, never on a command line other users can see.
        let config = w.directory + "/curl-baseline.config"
        defer { try? FileManager.default.removeItem(atPath: config) }
        try writePrivately(configuration(w, credentials), to: config)
        let log = w.directory + "/curl-baseline.log"
        let started = Date()
        let pid = try ChildProcesses.spawn(
            curl, ["--config", config], environment: ProcessInfo.processInfo.environment,
            logFile: log)
        let status = ChildProcesses.waitBlocking(pid)
        let seconds = Date().timeIntervalSince(started)
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        let fields = output.split(whereSeparator: \.isWhitespace)
        guard status == 0, fields.count >= 2, fields[0] == "200", let bytes = Int64(fields[1]), bytes == w.outputSize
        else {
            throw UserFacingError(
                "the plain curl of the output failed (exit \(status.map(String.init) ?? "unknown")): \(output.prefix(300))"
            )
        }
        return BenchReport.Throughput(bytes: bytes, seconds: seconds)
    }

    private static func configuration(_ w: BenchWorkspace, _ c: AWSCredentialSet) -> String {
        let url = "\(w.endpoint)/\(w.client.configuration.accountId)/vaults/\(w.vault)/jobs/\(w.sequentialJob)/output"
        var lines = [
            "url = \(quoted(url))",
            "aws-sigv4 = \(quoted("aws:amz:\(w.client.configuration.region):glacier"))",
            "user = \(quoted(c.accessKeyId + ":" + c.secretAccessKey))",
            "header = \(quoted("x-amz-glacier-version: 2012-06-01"))",
            "output = \"/dev/null\"",
            "silent", "show-error",
            "write-out = \"%{http_code} %{size_download}\\n\"",
        ]
        if let token = c.sessionToken { lines.append("header = \(quoted("x-amz-security-token: " + token))") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// curl's config syntax: double quotes, with backslash escapes inside.
    private static func quoted(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    private static func writePrivately(_ text: String, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw UserFacingError("cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        guard write(fd, bytes, bytes.count) == bytes.count else {
            throw UserFacingError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}
