import Foundation
import GlacierClient
import GlacierIntegrity
import HTTPTransport

/// The individual measurements of `glacierfs bench`.
enum BenchMeasurements {
    /// (a), (a′) and (a-WAN): the output fetched with parallel ranged GETs straight from the
    /// service, nothing stored: what the network and the service allow. With `.sizeOnly` nothing
    /// is hashed; with `.treeHash` every request's leaves are hashed and checked, as any verified
    /// reader must. The CPU is this process's, which does nothing else meanwhile.
    static func rawCeiling(
        _ w: BenchWorkspace, job: String, connections: Int, verification: OutputVerification = .sizeOnly,
        requestBytes: Int64 = 16 << 20
    ) throws -> BenchReport.Throughput {
        let size = w.outputSize
        let emulatorBefore = w.emulatorCPUSeconds
        let started = Date()
        let (_, cpu) = try ProcessUsage.measure(getpid()) {
            try runBlocking {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    let next = NextRange(size: size, step: requestBytes)
                    for _ in 0 ..< connections {
                        group.addTask {
                            let buffer = UnsafeMutableRawBufferPointer.allocate(
                                byteCount: Int(requestBytes), alignment: 4096)
                            defer { buffer.deallocate() }
                            while let range = next.take() {
                                _ = try await w.client.getJobOutput(
                                    vault: w.vault, jobId: job, range: range, outputSize: size,
                                    verification: verification,
                                    into: UnsafeMutableRawBufferPointer(
                                        rebasing: buffer[0 ..< Int(range.upperBound - range.lowerBound)]))
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
        }
        var result = BenchReport.Throughput(bytes: size, seconds: Date().timeIntervalSince(started))
        result.cpuSeconds = cpu
        result.emulatorCPUSeconds = emulatorSeconds(w, since: emulatorBefore)
        return result
    }

    /// The emulator's CPU-seconds since `before`, when it runs here.
    private static func emulatorSeconds(_ w: BenchWorkspace, since before: Double?) -> Double? {
        before.flatMap { b in w.emulatorCPUSeconds.map { $0 - b } }
    }

    /// SHA-256 alone over `bytes`, one 1 MiB leaf per call on one thread, from a buffer larger than
    /// the CPU's caches, as the read path hashes what it receives: the floor under every verified
    /// read's CPU-seconds per GiB.
    static func hashAlone(bytes: Int64) -> BenchReport.Throughput {
        let bufferBytes = 64 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferBytes, alignment: 4096)
        defer { buffer.deallocate() }
        var generator = SystemRandomNumberGenerator()
        for offset in stride(from: 0, to: bufferBytes, by: 8) {
            buffer.storeBytes(of: generator.next() as UInt64, toByteOffset: offset, as: UInt64.self)
        }
        let leaf = BenchReport.leafBytes
        let started = Date()
        // EVP_Digest is opaque to the optimiser: no call is dropped for its result going unused.
        let (_, cpu) = ProcessUsage.measure(getpid()) {
            var hashed: Int64 = 0
            while hashed < bytes {
                for offset in stride(from: 0, to: bufferBytes, by: leaf) where hashed < bytes {
                    _ = SHA256.hash(UnsafeRawBufferPointer(rebasing: buffer[offset ..< offset + leaf]))
                    hashed += Int64(leaf)
                }
            }
        }
        var result = BenchReport.Throughput(bytes: bytes, seconds: Date().timeIntervalSince(started))
        result.cpuSeconds = cpu
        return result
    }

    /// Reads files through the mount with `cp FILE /dev/null`, all at once, and times them.
    static func copy(_ paths: [String], workspace w: BenchWorkspace, mount: BenchMount) throws -> BenchReport.Throughput
    {
        let servedBefore = w.emulatorBytesServed()
        let emulatorBefore = w.emulatorCPUSeconds
        let statusBefore = mount.status()
        let fetchSecondsBefore = statusBefore?.reads.fetchSeconds ?? 0
        let started = Date()
        let (_, cpu) = try ProcessUsage.measure(statusBefore?.pid) {
            let pids = try paths.enumerated().map { i, path in
                try ChildProcesses.spawn(
                    "/bin/cp", [path, "/dev/null"], environment: ProcessInfo.processInfo.environment,
                    logFile: w.directory + "/cp-\(i).log")
            }
            for pid in pids {
                guard ChildProcesses.waitBlocking(pid) == 0 else {
                    throw UserFacingError(
                        "reading through the mount failed; see \(w.directory)/cp-*.log and the mount's log")
                }
            }
        }
        let seconds = Date().timeIntervalSince(started)
        let emulatorCPU = emulatorSeconds(w, since: emulatorBefore)
        mount.sampleMemory()
        var bytes: Int64 = 0
        for path in paths {
            bytes += (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
        }
        let fetched = servedBefore.flatMap { before in
            w.emulatorBytesServed().map { Double($0 - before) / Double(bytes) }
        }
        let status = mount.status()
        // Busy fetch time over wall time: how many connections were in use, on average.
        let connections = status.map { ($0.reads.fetchSeconds - fetchSecondsBefore) / seconds }
        var result = BenchReport.Throughput(
            bytes: bytes, seconds: seconds, fetchedPerRead: fetched,
            peakConnections: status?.reads.peakFetchesInFlight, averageConnections: connections)
        result.cpuSeconds = cpu
        result.emulatorCPUSeconds = emulatorCPU
        return result
    }

    /// Head reads: the first 4 KiB of each cold output, read through a fresh open. Returns each
    /// read's microseconds and the bytes the daemon fetched for it (its own count, complete when
    /// the read returns; the service's count may lag behind the response).
    static func headReads(_ paths: [String], mount: BenchMount) throws -> (microseconds: [Double], fetched: [Int64]) {
        var times: [Double] = [], fetched: [Int64] = []
        for path in paths {
            let before = mount.status()?.reads.bytesFetched ?? 0
            times += try randomReads(path, offsets: [0])
            fetched.append(Int64((mount.status()?.reads.bytesFetched ?? 0) - before))
        }
        return (times, fetched)
    }

    /// (e): 4 KiB preads at random offsets of one file, each timed.
    static func randomReads(_ path: String, offsets: [Int64]) throws -> [Double] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw UserFacingError("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        var microseconds: [Double] = []
        for offset in offsets {
            let started = DispatchTime.now().uptimeNanoseconds
            let n = pread(fd, &buffer, 4096, off_t(offset))
            guard n > 0 else {
                throw UserFacingError("random read at \(offset) failed: \(String(cString: strerror(errno)))")
            }
            microseconds.append(Double(DispatchTime.now().uptimeNanoseconds - started) / 1000)
        }
        return microseconds
    }
}
