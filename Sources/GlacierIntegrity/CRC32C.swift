import CPlatformSupport

/// CRC-32C, for detecting torn or decayed cache blocks cheaply. It guards against accidents on
/// local disk, not against an adversary; service data is verified with SHA-256.
public enum CRC32C {
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        glfs_crc32c(crc, bytes.baseAddress, bytes.count)
    }

    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }

    /// The checksum of each `blockSize` piece of `bytes` (the last may be shorter).
    public static func blockChecksums(_ bytes: UnsafeRawBufferPointer, blockSize: Int) -> [UInt32] {
        precondition(blockSize > 0)
        let count = (bytes.count + blockSize - 1) / blockSize
        return [UInt32](unsafeUninitializedCapacity: count) { out, initialized in
            glfs_crc32c_blocks(bytes.baseAddress, bytes.count, blockSize, out.baseAddress)
            initialized = count
        }
    }
}
