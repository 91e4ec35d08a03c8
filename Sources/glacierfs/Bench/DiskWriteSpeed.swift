import CPlatformSupport
import Foundation

/// What the disk under the cache writes, for the cold reads to be compared with: every byte a cold
/// read verifies is written to the cache, so a disk slower than the link bounds the copy. A new
/// file in the directory that holds the cache, written with 1 MiB direct writes eight at a time
/// (as a slow link's streamed leaves are staged: O_DIRECT, no page cache), then deleted. Larger
/// writes can go faster: (b) writes its nodes whole.
enum DiskWriteSpeed {
    static func measure(directory: String, bytes: Int64, writers: Int = 8) throws -> BenchReport.Throughput {
        let file = directory + "/bench-write-speed.tmp"
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | glfs_o_direct(), 0o600)
        defer { unlink(file) }
        guard fd >= 0 else {
            throw UserFacingError("cannot create \(file) for direct writes: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        // Full size first, as the cache creates its data files: the writes fill holes inside the
        // file instead of extending it, which would take the file's lock for each.
        guard ftruncate(fd, off_t(bytes)) == 0 else {
            throw UserFacingError("cannot size \(file): \(String(cString: strerror(errno)))")
        }
        let chunks = NextRange(size: bytes, step: 1 << 20)
        let result = chunks.run(
            workers: writers,
            prepare: { buffer, worker in
                // Bytes no disk could compress (each writer repeats its own buffer, though).
                var state = UInt64(worker + 1) &* 0x9E37_79B9_7F4A_7C15
                for word in 0 ..< buffer.count / 8 {
                    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    buffer.storeBytes(of: state, toByteOffset: word * 8, as: UInt64.self)
                }
            },
            io: { buffer, range in pwrite(fd, buffer, range.count, off_t(range.lowerBound)) == range.count })
        switch result {
        case .success(let seconds): return BenchReport.Throughput(bytes: bytes, seconds: seconds)
        case .failure(let code):
            throw UserFacingError("writing \(file) failed: \(String(cString: strerror(code.code.rawValue)))")
        }
    }
}
