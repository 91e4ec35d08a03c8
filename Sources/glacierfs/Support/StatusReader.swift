import CPlatformSupport
import Foundation
import GlacierFileSystem

/// Reads a running mount's status document from the root's extended attribute.
enum StatusReader {
    static func read(mountpoint: String) -> FileSystemStatus? {
        let name = GlacierFileSystem.statusAttribute
        let size = glfs_getxattr(mountpoint, name, nil, 0)
        guard size > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: size + 4096)
        let n = glfs_getxattr(mountpoint, name, &buffer, buffer.count)
        guard n > 0 else { return nil }
        return try? JSONDecoder().decode(FileSystemStatus.self, from: Data(buffer[0 ..< n]))
    }
}
