/// Constants of the Glacier wire protocol.
public enum GlacierProtocol {
    public static let apiVersion = "2012-06-01"
    public static let signingService = "glacier"

    public enum Header {
        public static let apiVersion = "x-amz-glacier-version"
        public static let contentSHA256 = "x-amz-content-sha256"
        public static let treeHash = "x-amz-sha256-tree-hash"
        public static let archiveDescription = "x-amz-archive-description"
        public static let archiveId = "x-amz-archive-id"
        public static let archiveSize = "x-amz-archive-size"
        public static let jobId = "x-amz-job-id"
        public static let jobOutputPath = "x-amz-job-output-path"
        public static let partSize = "x-amz-part-size"
        public static let uploadId = "x-amz-multipart-upload-id"
        public static let requestId = "x-amzn-RequestId"
    }

    /// Vault names: 1–255 of letters, digits, `_`, `-` and `.`.
    public static func isValidVaultName(_ name: some StringProtocol) -> Bool {
        guard (1 ... 255).contains(name.utf8.count) else { return false }
        return name.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
                || c == UInt8(ascii: "_") || c == UInt8(ascii: "-") || c == UInt8(ascii: ".")
        }
    }

    /// Job and archive ids: URL-safe base64-like tokens of 1–1024 characters.
    public static func isPlausibleId(_ id: some StringProtocol) -> Bool {
        guard (1 ... 1024).contains(id.utf8.count) else { return false }
        return id.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
                || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
        }
    }
}
