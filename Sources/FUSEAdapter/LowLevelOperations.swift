import CFuse3
import Foundation
import GlacierFileSystem

/// The libfuse low-level callbacks. Each copies what it needs from its pointer arguments before
/// returning, then answers at once or from a task.
enum LowLevelOperations {
    static func table() -> fuse_lowlevel_ops {
        var ops = fuse_lowlevel_ops()
        ops.`init` = initialize
        ops.lookup = lookup
        ops.forget = { req, _, _ in fuse_reply_none(req) }
        ops.forget_multi = { req, _, _ in fuse_reply_none(req) }
        ops.getattr = getattr
        ops.open = open
        ops.read = read
        ops.release = release
        ops.opendir = opendir
        ops.readdir = { req, _, size, off, fi in LowLevelOperations.readdir(req, size, off, fi, plus: false) }
        ops.readdirplus = { req, _, size, off, fi in LowLevelOperations.readdir(req, size, off, fi, plus: true) }
        ops.releasedir = release
        ops.statfs = statfs
        ops.getxattr = getxattr
        ops.listxattr = listxattr
        ops.access = { req, _, mask in fuse_reply_err(req, mask & W_OK != 0 ? EROFS : 0) }
        // A read-only filesystem: every change is refused (the `ro` mount flag stops most first).
        ops.setattr = { req, _, _, _, _ in fuse_reply_err(req, EROFS) }
        ops.mknod = { req, _, _, _, _ in fuse_reply_err(req, EROFS) }
        ops.mkdir = { req, _, _, _ in fuse_reply_err(req, EROFS) }
        ops.unlink = { req, _, _ in fuse_reply_err(req, EROFS) }
        ops.rmdir = { req, _, _ in fuse_reply_err(req, EROFS) }
        ops.symlink = { req, _, _, _ in fuse_reply_err(req, EROFS) }
        ops.rename = { req, _, _, _, _, _ in fuse_reply_err(req, EROFS) }
        ops.link = { req, _, _, _ in fuse_reply_err(req, EROFS) }
        ops.write = { req, _, _, _, _, _ in fuse_reply_err(req, EROFS) }
        ops.create = { req, _, _, _, _ in fuse_reply_err(req, EROFS) }
        ops.setxattr = { req, _, _, _, _, _ in fuse_reply_err(req, EROFS) }
        ops.removexattr = { req, _, _ in fuse_reply_err(req, EROFS) }
        ops.fallocate = { req, _, _, _, _, _ in fuse_reply_err(req, EROFS) }
        return ops
    }

    static let initialize: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<fuse_conn_info>?) -> Void = {
        userdata, conn in
        guard let conn, let userdata else { return }
        let bridge = Unmanaged<FUSEBridge>.fromOpaque(userdata).takeUnretainedValue()
        KernelSettings.apply(to: conn, options: bridge.options)
    }

    static let lookup: @convention(c) (fuse_req_t?, fuse_ino_t, UnsafePointer<CChar>?) -> Void = { req, parent, name in
        let request = FUSERequest(raw: req!)
        let bridge = FUSEBridge.from(req)
        let name = String(cString: name!)
        bridge.async {
            switch await bridge.filesystem.lookup(parent: UInt64(parent), name: name) {
            case .success(let a): request.replyEntry(a)
            case .failure(let e) where e == .notFound:
                request.replyNegativeEntry(
                    seconds: bridge.filesystem.negativeCacheSeconds(parent: UInt64(parent), name: name))
            case .failure(let e): request.fail(e.errno)
            }
        }
    }

    static let getattr: @convention(c) (fuse_req_t?, fuse_ino_t, UnsafeMutablePointer<fuse_file_info>?) -> Void = {
        req, ino, _ in
        let request = FUSERequest(raw: req!)
        let bridge = FUSEBridge.from(req)
        bridge.async {
            switch await bridge.filesystem.attributes(inode: UInt64(ino)) {
            case .success(let a): request.replyAttributes(a)
            case .failure(let e): request.fail(e.errno)
            }
        }
    }

    static let open: @convention(c) (fuse_req_t?, fuse_ino_t, UnsafeMutablePointer<fuse_file_info>?) -> Void = {
        req, ino, fi in
        let request = FUSERequest(raw: req!)
        let bridge = FUSEBridge.from(req)
        let flags = fi!.pointee.flags
        let writable = (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC) != 0
        // fuse_file_info must be answered with the same structure libfuse passed in; copy it,
        // fill it in the task, and reply with the copy.
        let info = FileInfoBox(fi!.pointee)
        bridge.async {
            switch await bridge.filesystem.open(inode: UInt64(ino), writable: writable) {
            case .success(let opened):
                var f = info.value
                f.fh = opened.handle
                if opened.keepCache { glfs_fi_set_keep_cache(&f) }
                if opened.directIO { glfs_fi_set_direct_io(&f) }
                fuse_reply_open(request.raw, &f)
            case .failure(let e):
                request.fail(e.errno)
            }
        }
    }

    static let read:
        @convention(c) (fuse_req_t?, fuse_ino_t, Int, off_t, UnsafeMutablePointer<fuse_file_info>?) -> Void = {
            req, _, size, offset, fi in
            let request = FUSERequest(raw: req!)
            let bridge = FUSEBridge.from(req)
            bridge.filesystem.read(handle: fi!.pointee.fh, offset: Int64(offset), size: size) { outcome in
                switch outcome {
                case .data(let segments): request.replySegments(segments)
                case .failure: request.fail(EIO)
                }
            }
        }

    static let release: @convention(c) (fuse_req_t?, fuse_ino_t, UnsafeMutablePointer<fuse_file_info>?) -> Void = {
        req, _, fi in
        FUSEBridge.from(req).filesystem.release(handle: fi!.pointee.fh)
        fuse_reply_err(req, 0)
    }

    static let opendir: @convention(c) (fuse_req_t?, fuse_ino_t, UnsafeMutablePointer<fuse_file_info>?) -> Void = {
        req, ino, fi in
        let request = FUSERequest(raw: req!)
        let bridge = FUSEBridge.from(req)
        let info = FileInfoBox(fi!.pointee)
        bridge.async {
            switch await bridge.filesystem.openDirectory(inode: UInt64(ino)) {
            case .success(let handle):
                var f = info.value
                f.fh = handle
                fuse_reply_open(request.raw, &f)
            case .failure(let e):
                request.fail(e.errno)
            }
        }
    }

    /// Fills one reply buffer with entries from `offset` on; offsets are entry positions.
    static func readdir(
        _ req: fuse_req_t?, _ size: Int, _ offset: off_t, _ fi: UnsafeMutablePointer<fuse_file_info>?,
        plus: Bool
    ) {
        let bridge = FUSEBridge.from(req)
        guard let entries = bridge.filesystem.directoryEntries(handle: fi!.pointee.fh) else {
            fuse_reply_err(req, EBADF)
            return
        }
        var buffer = [CChar](repeating: 0, count: size)
        var used = 0
        var index = Int(offset)
        let all = [(".", nil), ("..", nil)] + entries.map { ($0.name, Optional($0.attributes)) }
        while index < all.count {
            let (name, attributes) = all[index]
            let added: Int = buffer.withUnsafeMutableBufferPointer { b in
                let rest = b.baseAddress! + used
                if plus {
                    var entry = fuse_entry_param()
                    if let attributes {
                        entry.ino = fuse_ino_t(attributes.inode)
                        entry.attr = FUSEAttributes.stat(attributes)
                        entry.attr_timeout = attributes.cacheSeconds
                        entry.entry_timeout = attributes.cacheSeconds
                    } else {
                        entry.attr.st_mode = S_IFDIR
                    }
                    return fuse_add_direntry_plus(req, rest, size - used, name, &entry, off_t(index + 1))
                }
                var st = Glibc.stat()
                st.st_ino = ino_t(attributes?.inode ?? 0)
                st.st_mode = (attributes?.isDirectory ?? true) ? S_IFDIR : S_IFREG
                return fuse_add_direntry(req, rest, size - used, name, &st, off_t(index + 1))
            }
            if added > size - used { break }
            used += added
            index += 1
        }
        buffer.withUnsafeBufferPointer { _ = fuse_reply_buf(req, $0.baseAddress, used) }
    }

    static let statfs: @convention(c) (fuse_req_t?, fuse_ino_t) -> Void = { req, _ in
        var st = statvfs()
        st.f_bsize = 1 << 20
        st.f_frsize = 1 << 20
        st.f_namemax = 255
        fuse_reply_statfs(req, &st)
    }

    static let getxattr: @convention(c) (fuse_req_t?, fuse_ino_t, UnsafePointer<CChar>?, Int) -> Void = {
        req, ino, name, size in
        let request = FUSERequest(raw: req!)
        let bridge = FUSEBridge.from(req)
        let name = String(cString: name!)
        bridge.async {
            switch await bridge.filesystem.extendedAttribute(inode: UInt64(ino), name: name) {
            case .success(let value): bridge.replyXattr(request, .init(inode: UInt64(ino), name: name), value, size)
            case .failure(let e): request.fail(e.errno)
            }
        }
    }

    static let listxattr: @convention(c) (fuse_req_t?, fuse_ino_t, Int) -> Void = { req, ino, size in
        let request = FUSERequest(raw: req!)
        let bridge = FUSEBridge.from(req)
        bridge.async {
            switch await bridge.filesystem.extendedAttributeNames(inode: UInt64(ino)) {
            case .success(let names):
                bridge.replyXattr(
                    request, .init(inode: UInt64(ino), name: nil), names.flatMap { Array($0.utf8) + [0] }, size)
            case .failure(let e): request.fail(e.errno)
            }
        }
    }
}

/// A copy of a fuse_file_info, carried into the task that replies with it.
struct FileInfoBox: @unchecked Sendable {  // Plain C struct copy; the copy is owned by one task.
    let value: fuse_file_info
    init(_ value: fuse_file_info) { self.value = value }
}
