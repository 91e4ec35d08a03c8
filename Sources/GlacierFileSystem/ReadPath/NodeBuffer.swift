import Glibc

/// Memory holding the bytes of one fetched tree node (or one leaf read back from disk).
///
/// It is written once, by the fetch or disk read, before anyone else can see it, and only read
/// afterwards; it goes back to its pool when the last view of it is gone.
final class NodeBuffer: @unchecked Sendable {  // Raw memory; write-once-then-read-only as described above.
    let base: UnsafeMutableRawPointer
    let capacity: Int
    private let pool: BufferPool?

    init(base: UnsafeMutableRawPointer, capacity: Int, pool: BufferPool?) {
        self.base = base
        self.capacity = capacity
        self.pool = pool
    }

    /// Heap memory outside any pool, for small reads: malloc reuses it, where a mapping of its
    /// own would cost an mmap and a munmap per read.
    static func unpooled(capacity: Int) -> NodeBuffer {
        NodeBuffer(base: .allocate(byteCount: max(1, capacity), alignment: 16), capacity: capacity, pool: nil)
    }

    var mutableBytes: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(start: base, count: capacity) }

    deinit {
        if let pool { pool.giveBack(base, capacity: capacity) } else { base.deallocate() }
    }
}
