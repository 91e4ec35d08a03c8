import CPlatformSupport
import Foundation

/// The open files of an entry; closed when the last holder lets go.
///
/// Whole leaves are written with O_DIRECT where the filesystem allows it: the bytes are already
/// in memory (and in the kernel's cache of the mounted file), so a third copy in the page cache,
/// and its writeback, would only cost memory and CPU. Reads stay buffered, for readahead.
final class EntryFiles: Sendable {
    let data: Int32
    /// O_DIRECT descriptor of the data file, or the buffered one where O_DIRECT is refused.
    let directData: Int32
    let index: Int32

    init(directory: String) throws {
        data = try FileIO.open(directory + "/data", O_RDWR)
        directData = (try? FileIO.open(directory + "/data", O_RDWR | glfs_o_direct())) ?? data
        do {
            index = try FileIO.open(directory + "/index", O_RDWR)
        } catch {
            close(data)
            if directData != data { close(directData) }
            throw error
        }
    }

    deinit {
        close(data)
        if directData != data { close(directData) }
        close(index)
    }

    /// The descriptor for a whole-leaf transfer: O_DIRECT needs 4 KiB-aligned memory and a
    /// length the device can take (the short last leaf is not).
    func leafDescriptor(for buffer: UnsafeRawBufferPointer) -> Int32 {
        let aligned = Int(bitPattern: buffer.baseAddress) % 4096 == 0 && buffer.count % 4096 == 0
        return aligned ? directData : data
    }
}
