import Glibc

/// An errno for the FUSE boundary.
public struct FileSystemError: Error, Sendable, Equatable {
    public var errno: Int32
    public init(_ errno: Int32) { self.errno = errno }

    public static let notFound = FileSystemError(ENOENT)
    public static let readOnly = FileSystemError(EROFS)
    public static let io = FileSystemError(EIO)
    public static let noAttribute = FileSystemError(ENODATA)
    public static let isDirectory = FileSystemError(EISDIR)
    public static let notDirectory = FileSystemError(ENOTDIR)
}
