/// Base64 decoding for the description formats: standard (`+/`) or URL (`-_`) alphabet, padding
/// optional, nothing else tolerated. Foundation's decoder accepts only padded standard input.
enum Base64 {
    enum Alphabet { case standard, url }

    private static func table(_ alphabet: Alphabet) -> [Int8] {
        var t = [Int8](repeating: -1, count: 256)
        for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8.enumerated() {
            t[Int(c)] = Int8(i)
        }
        t[Int(alphabet == .standard ? UInt8(ascii: "+") : UInt8(ascii: "-"))] = 62
        t[Int(alphabet == .standard ? UInt8(ascii: "/") : UInt8(ascii: "_"))] = 63
        return t
    }
    private static let standardTable = table(.standard)
    private static let urlTable = table(.url)

    /// The decoded bytes, or nil when `text` is not base64 in `alphabet`.
    static func decode<S: Collection<UInt8>>(_ text: S, alphabet: Alphabet) -> [UInt8]? {
        let t = alphabet == .standard ? standardTable : urlTable
        var body = Array(text)
        var padding = 0
        while body.last == UInt8(ascii: "=") {
            body.removeLast()
            padding += 1
        }
        guard padding <= 2, body.count % 4 != 1, padding == 0 || (body.count + padding) % 4 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(body.count * 3 / 4)
        var acc: UInt32 = 0
        var bits = 0
        for c in body {
            let v = t[Int(c)]
            guard v >= 0 else { return nil }
            acc = (acc << 6) | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
            }
        }
        return out
    }
}
