import CPlatformSupport
import Foundation
import OutputCache
import Synchronization

/// What the disk under the cache can read, for (d) to be compared with: one cached output's data
/// file read with 1 MiB direct reads, eight at a time, after the page cache is dropped. No FUSE,
/// no checks: the most any read from the disk cache could reach.
enum DiskReadCeiling {
    static func measure(cacheDirectory: String, jobId: String, readers: Int = 8) throws -> BenchReport.Throughput {
        guard
            let key = OutputCache.inspect(directory: cacheDirectory).outputs.first(where: { $0.key.jobId == jobId })?
                .key
        else {
            throw UserFacingError("no cached data for job \(jobId) under \(cacheDirectory)")
        }
        let file = OutputCache.dataFile(directory: cacheDirectory, key: key)
        let fd = open(file, O_RDONLY | O_CLOEXEC | glfs_o_direct())
        guard fd >= 0 else {
            throw UserFacingError("cannot open \(file) for direct reads: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        let size = Int64(lseek(fd, 0, SEEK_END))
        let chunks = NextRange(size: size, step: 1 << 20)
        let failure = Atomic<Int32>(0)  // the errno of a failed read
        let done = DispatchGroup()
        let started = Date()
        for _ in 0 ..< readers {
            done.enter()
            Thread.detachNewThread {
                defer { done.leave() }
                let buffer = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 4096)
                defer { buffer.deallocate() }
                while let chunk = chunks.take() {
                    if pread(fd, buffer, 1 << 20, off_t(chunk.lowerBound)) <= 0 {
                        failure.store(errno == 0 ? EIO : errno, ordering: .relaxed)
                        return
                    }
                }
            }
        }
        done.wait()
        let code = failure.load(ordering: .relaxed)
        guard code == 0 else { throw UserFacingError("reading \(file) failed: \(String(cString: strerror(code)))") }
        return BenchReport.Throughput(bytes: size, seconds: Date().timeIntervalSince(started))
    }
}
