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
}
