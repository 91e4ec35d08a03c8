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

/// A verified leaf's bytes: a slice of a node buffer, which it keeps alive.
struct LeafView: Sendable {
    let node: NodeBuffer
    let offset: Int
    let length: Int

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: node.base + offset, count: length) }
}

/// A piece of a read reply: bytes inside a verified leaf, kept alive until the reply is sent.
public struct ByteSegment: Sendable {
    let view: LeafView
    let range: Range<Int>

    public var count: Int { range.count }

    /// The bytes, valid for as long as this segment is alive.
    public var baseAddress: UnsafeRawPointer { UnsafeRawPointer(view.node.base + view.offset + range.lowerBound) }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(view.node) {
            try body(UnsafeRawBufferPointer(start: baseAddress, count: range.count))
        }
    }
}

/// Page-aligned memory straight from the kernel. Large buffers go through mmap rather than
/// malloc: glibc's per-thread arenas keep freed megabytes, and then the budget no longer bounds
/// what the process holds.
enum PageMemory {
    static func allocate(_ capacity: Int) -> UnsafeMutableRawPointer {
        let size = max(4096, capacity)
        // Populated at once: the buffer is about to be filled whole, and one call costs far less
        // than a page fault for each of its 4 KiB pages.
        guard let p = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0),
              p != MAP_FAILED else {
            fatalError("out of memory mapping \(size) bytes")
        }
        return p
    }

    static func free(_ pointer: UnsafeMutableRawPointer, _ capacity: Int) {
        munmap(pointer, max(4096, capacity))
    }
}
