/// Random identifiers in the alphabets AWS uses.
enum Identifiers {
    private static let urlSafe = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    private static let upperAlnum = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)

    /// 138 URL-safe characters, like an archive id.
    static func archiveId() -> String { random(138, from: urlSafe) }

    /// 92 URL-safe characters, like a job id.
    static func jobId() -> String { random(92, from: urlSafe) }

    /// 92 URL-safe characters, like a multipart upload id.
    static func uploadId() -> String { random(92, from: urlSafe) }

    /// 52 characters, like an `x-amzn-RequestId`.
    static func requestId() -> String { random(52, from: upperAlnum) }

    /// The first character is always a letter or digit, so an id never looks like a command-line
    /// option (`aws glacier ... --archive-id -abc` would fail to parse).
    private static func random(_ count: Int, from alphabet: [UInt8]) -> String {
        var generator = SystemRandomNumberGenerator()
        return String(unsafeUninitializedCapacity: count) { out in
            out[0] = upperAlnum[Int.random(in: 0 ..< upperAlnum.count, using: &generator)]
            var i = 1
            while i < count {
                var word = generator.next()
                // Reject bytes past the last whole multiple of the alphabet, so every character
                // is equally likely.
                for _ in 0 ..< 8 where i < count {
                    let b = Int(word & 0xff)
                    word >>= 8
                    let limit = 256 - 256 % alphabet.count
                    if b < limit {
                        out[i] = alphabet[b % alphabet.count]
                        i += 1
                    }
                }
            }
            return count
        }
    }
}
