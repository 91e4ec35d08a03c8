import CPlatformSupport
import Foundation
import OutputCache

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
        // Whole 1 MiB reads, as O_DIRECT wants; the last may come back short.
        let result = NextRange(size: size, step: 1 << 20).run(workers: readers) { buffer, range in
            pread(fd, buffer, 1 << 20, off_t(range.lowerBound)) > 0
        }
        switch result {
        case .success(let seconds): return BenchReport.Throughput(bytes: size, seconds: seconds)
        case .failure(let code):
            throw UserFacingError("reading \(file) failed: \(String(cString: strerror(code.code.rawValue)))")
        }
    }
}
