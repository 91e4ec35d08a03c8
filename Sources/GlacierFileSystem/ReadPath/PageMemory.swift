import Glibc

/// Page-aligned memory straight from the kernel. Large buffers go through mmap rather than
/// malloc: glibc's per-thread arenas keep freed megabytes, and then the budget no longer bounds
/// what the process holds.
enum PageMemory {
    static func allocate(_ capacity: Int) -> UnsafeMutableRawPointer {
        let size = max(4096, capacity)
        // Populated at once: the buffer is about to be filled whole, and one call costs far less
        // than a page fault for each of its 4 KiB pages.
        guard let p = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0),
            p != MAP_FAILED
        else {
            fatalError("out of memory mapping \(size) bytes")
        }
        return p
    }

    static func free(_ pointer: UnsafeMutableRawPointer, _ capacity: Int) {
        munmap(pointer, max(4096, capacity))
    }
}
