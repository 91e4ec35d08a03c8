import COpenSSL

/// SHA-256 and HMAC-SHA256 on OpenSSL (SHA-NI accelerated where the CPU has it).
public enum SHA256 {
    /// Hashes a buffer in one call.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> SHA256Digest {
        var out = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        withUnsafeMutableBytes(of: &out) { o in
            var len: UInt32 = 0
            let ok = EVP_Digest(
                bytes.baseAddress, bytes.count, o.baseAddress!.assumingMemoryBound(to: UInt8.self),
                &len, OpenSSLDigest.sha256.md, nil)
            precondition(ok == 1 && len == 32, "OpenSSL SHA-256 failed")
        }
        return SHA256Digest(words: out)
    }

    public static func hash(_ bytes: some Sequence<UInt8>) -> SHA256Digest {
        let array = Array(bytes)
        return array.withUnsafeBytes { hash($0) }
    }

    public static func hash(_ string: String) -> SHA256Digest { hash(Array(string.utf8)) }

    /// HMAC-SHA256, used by SigV4 key derivation and signing.
    public static func hmac(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var len: UInt32 = 0
        key.withUnsafeBytes { k in
            message.withUnsafeBytes { m in
                let r = HMAC(
                    OpenSSLDigest.sha256.md, k.baseAddress, Int32(k.count),
                    m.baseAddress?.assumingMemoryBound(to: UInt8.self), m.count, &out, &len)
                precondition(r != nil && len == 32, "OpenSSL HMAC-SHA256 failed")
            }
        }
        return out
    }
}

extension SHA256Digest {
    init(words: (UInt64, UInt64, UInt64, UInt64)) { self.words = words }
}

/// A streaming SHA-256 context. Not thread-safe; use one per producer.
public final class SHA256Hasher {
    private let ctx: OpaquePointer

    public init() {
        guard let c = EVP_MD_CTX_new() else { fatalError("OpenSSL could not allocate a digest context") }
        ctx = c
        reset()
    }

    deinit { EVP_MD_CTX_free(ctx) }

    public func reset() {
        precondition(EVP_DigestInit_ex(ctx, OpenSSLDigest.sha256.md, nil) == 1, "OpenSSL SHA-256 init failed")
    }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        precondition(EVP_DigestUpdate(ctx, bytes.baseAddress, bytes.count) == 1, "OpenSSL SHA-256 update failed")
    }

    /// Returns the digest and resets the context for reuse.
    public func finalize() -> SHA256Digest {
        var out = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        withUnsafeMutableBytes(of: &out) { o in
            var len: UInt32 = 0
            precondition(
                EVP_DigestFinal_ex(ctx, o.baseAddress!.assumingMemoryBound(to: UInt8.self), &len) == 1,
                "OpenSSL SHA-256 final failed")
        }
        reset()
        return SHA256Digest(words: out)
    }
}

/// The SHA-256 algorithm object, fetched once: OpenSSL 3 otherwise re-fetches it, under a lock,
/// on every digest call.
struct OpenSSLDigest: @unchecked Sendable {  // EVP_MD is immutable and thread-safe once fetched.
    let md: OpaquePointer

    static let sha256: OpenSSLDigest = {
        guard let md = EVP_MD_fetch(nil, "SHA256", nil) else { fatalError("OpenSSL has no SHA256 digest") }
        return OpenSSLDigest(md: md)
    }()
}
