import CPlatformSupport
import Foundation
import Synchronization

/// What the disk under the cache can read, for (d) to be compared with: one cached output's data
/// file read with 1 MiB direct reads, eight at a time, after the page cache is dropped. No FUSE,
/// no checks: the most any read from the disk cache could reach.
enum DiskReadCeiling {
    static func measure(cacheDirectory: String, jobId: String, readers: Int = 8) throws -> BenchReport.Throughput {
        guard let file = dataFile(cacheDirectory: cacheDirectory, jobId: jobId) else {
            throw UserFacingError("no cached data for job \(jobId) under \(cacheDirectory)")
        }
        let fd = open(file, O_RDONLY | O_CLOEXEC | glfs_o_direct())
        guard fd >= 0 else { throw UserFacingError("cannot open \(file) for direct reads: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let size = Int64(lseek(fd, 0, SEEK_END))
        let chunk = 1 << 20
        let next = Atomic<Int64>(0)
        let failed = Atomic<Bool>(false)
        let done = DispatchGroup()
        let started = Date()
        for _ in 0 ..< readers {
            done.enter()
            Thread.detachNewThread {
                defer { done.leave() }
                let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 4096)
                defer { buffer.deallocate() }
                while true {
                    let offset = next.add(Int64(chunk), ordering: .relaxed).oldValue
                    guard offset < size else { return }
                    if pread(fd, buffer, chunk, off_t(offset)) <= 0 { failed.store(true, ordering: .relaxed); return }
                }
            }
        }
        done.wait()
        guard !failed.load(ordering: .relaxed) else { throw UserFacingError("reading \(file) failed: \(String(cString: strerror(errno)))") }
        return BenchReport.Throughput(bytes: size, seconds: Date().timeIntervalSince(started))
    }

    /// The data file of the cache entry whose descriptor names `jobId`.
    private static func dataFile(cacheDirectory: String, jobId: String) -> String? {
        let outputs = cacheDirectory + "/outputs"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: outputs)) ?? [] {
            let meta = (try? String(contentsOfFile: "\(outputs)/\(name)/meta.json", encoding: .utf8)) ?? ""
            if meta.contains("\"\(jobId)\"") { return "\(outputs)/\(name)/data" }
        }
        return nil
    }
}
