import GlacierIntegrity
import GlacierModel
import Testing

@testable import GlacierFileSystem

/// What the filesystem makes of job descriptions a hostile server might send, against a
/// reference written from design.md §1–2, and which directory names it could ever show.
@Suite struct JobShapeFuzzTests {
    static let mib: Int64 = 1 << 20
    static let maximumSize: Int64 = 40 << 40  // the largest archive Glacier stores
    /// Above this the reference tree is too large to enumerate, so alignment is not judged.
    static let enumerableSize: Int64 = 64 << 30

    static func size(_ r: inout FuzzRandom) -> Int64? {
        switch r.int(0 ..< 10) {
        case 0: return nil
        case 1: return r.pick([-1, Int64.min, maximumSize, maximumSize + 1, Int64.max])
        case 2: return -Int64(r.magnitude(maxBits: 62))
        default: return SizeGenerator.size(&r)
        }
    }

    static func rangeText(_ r: inout FuzzRandom, archiveSize: Int64?) -> String? {
        let size = min(max(1, archiveSize ?? 1), 1 << 50)  // room to step past the end without overflow
        let first = r.int64(0 ... (size - 1) / mib) * mib + (r.oneIn(6) ? 1 : 0)
        let end: Int64
        switch r.int(0 ..< 4) {
        case 0: end = size
        case 1: end = first + (mib << Int64(r.int(0 ... 6)))
        default: end = first + r.int64(1 ... 8 * mib)
        }
        let text = "\(first)-\(max(first, min(end, size + 1) - 1))"
        switch r.int(0 ..< 8) {
        case 0: return nil
        case 1: return TextMutator.mutate(text, &r)
        case 2: return r.pick(["", "0-0", "-", "5-4", "0-99999999999999999999", " 0-1048575"])
        default: return text
        }
    }

    static func job(_ r: inout FuzzRandom) -> GlacierJobDescription {
        let action =
            r.int(0 ..< 10) < 6
            ? GlacierJobDescription.Action.archiveRetrieval
            : r.pick([
                GlacierJobDescription.Action.inventoryRetrieval, GlacierJobDescription.Action.select, "",
                "archiveretrieval",
            ])
        var j = GlacierJobDescription(
            jobId: "job", action: action, statusCode: GlacierJobDescription.Status.succeeded, completed: true)
        j.archiveSizeInBytes = size(&r)
        j.inventorySizeInBytes = size(&r)
        j.retrievalByteRange = rangeText(&r, archiveSize: j.archiveSizeInBytes)
        let digest = r.bytes(32).map { String($0, radix: 16).leftPadded(to: 2) }.joined()
        switch r.int(0 ..< 8) {
        case 0: j.sha256TreeHash = nil
        case 1: j.sha256TreeHash = digest.uppercased()
        case 2: j.sha256TreeHash = String(digest.dropLast())
        case 3: j.sha256TreeHash = r.pick(["", "zz" + String(digest.dropFirst(2)), digest + "0", "null"])
        default: j.sha256TreeHash = digest
        }
        if r.bool() {
            j.inventoryRetrievalParameters = InventoryRetrievalJobDescription(format: r.pick([nil, "CSV", "JSON"]))
        }
        return j
    }

    static func digest(_ hex: String?) -> (valid: Bool, bytes: [UInt8]?) {
        guard let hex else { return (true, nil) }
        let b = Array(hex.utf8)
        let digits = Array("0123456789abcdefABCDEF".utf8)
        guard b.count == 64, b.allSatisfy(digits.contains) else { return (false, nil) }
        return (
            true,
            stride(from: 0, to: 64, by: 2).map { UInt8(String(decoding: b[$0 ..< $0 + 2], as: UTF8.self), radix: 16)! }
        )
    }

    @Test func jobOutputShape() {
        fuzz("JobOutputShape.of", iterations: FuzzConfig.iterations(cost: 2)) { r, run in
            let job = Self.job(&r)
            let allowUnverified = r.bool()
            let what =
                "action \(show(job.action)) archive \(job.archiveSizeInBytes.map(String.init) ?? "nil") inventory \(job.inventorySizeInBytes.map(String.init) ?? "nil") "
                + "range \(job.retrievalByteRange.map(show) ?? "nil") hash \(job.sha256TreeHash.map(show) ?? "nil") allowUnverified \(allowUnverified)"
            let got: JobOutputShape?
            do throws(JobShapeError) { got = try JobOutputShape.of(job, allowUnverified: allowUnverified) } catch {
                got = nil
            }
            if got == nil { run.reject() }

            // The reference: a usable checksum field, a size the service could have, a range inside it.
            let (hashValid, hashBytes) = Self.digest(job.sha256TreeHash)
            func usable(_ s: Int64?) -> Int64? { s.flatMap { (0 ... Self.maximumSize).contains($0) ? $0 : nil } }
            guard hashValid else { return run.expect(got == nil, "\(what): a malformed checksum was accepted") }
            if job.action == GlacierJobDescription.Action.inventoryRetrieval {
                guard let size = usable(job.inventorySizeInBytes) else {
                    return run.expect(got == nil, "\(what): accepted \(String(describing: got))")
                }
                run.expect(
                    got?.size == size && got?.isInventory == true && got?.verification == .inventory
                        && got?.expectedTreeHash == nil
                        && got?.inventoryFormat == (job.inventoryRetrievalParameters?.format ?? "JSON"),
                    "\(what): \(String(describing: got))")
                return
            }
            guard job.action == GlacierJobDescription.Action.archiveRetrieval,
                let archiveSize = usable(job.archiveSizeInBytes)
            else {
                return run.expect(got == nil, "\(what): accepted \(String(describing: got))")
            }
            var retrieved = 0 ..< archiveSize
            if let text = job.retrievalByteRange {
                guard let range = referenceRange(text.utf8), range.last < archiveSize else {
                    return run.expect(got == nil, "\(what): accepted \(String(describing: got))")
                }
                retrieved = range.first ..< range.last + 1
            }
            guard let got else { return run.expect(false, "\(what): refused a usable description") }
            run.expect(
                got.size == Int64(retrieved.count) && (0 ... archiveSize).contains(got.size) && !got.isInventory,
                "\(what): size \(got.size), reference \(retrieved)")
            guard archiveSize <= Self.enumerableSize else { return }
            let aligned = retrieved == 0 ..< archiveSize || ReferenceTree(size: archiveSize).isAligned(retrieved)
            switch got.verification {
            case .treeHash:
                run.expect(aligned, "\(what): an unaligned range is marked verifiable")
                run.expect(
                    got.expectedTreeHash.map { d in d.withBytes { Array($0) } } == hashBytes,
                    "\(what): expected hash \(String(describing: got.expectedTreeHash))")
            case .sizeOnly:
                run.expect(!aligned && allowUnverified && got.expectedTreeHash == nil, "\(what): sizeOnly")
            case .refused:
                run.expect(!aligned && !allowUnverified && got.expectedTreeHash == nil, "\(what): refused")
            case .inventory:
                run.expect(false, "\(what): an archive output marked as an inventory")
            }
        }
    }

    static func name(_ r: inout FuzzRandom) -> String {
        let alphabet: [String] = ["a", "Z", "0", "9", "-", "_", ".", "/", "\u{0}", " ", "é", "\u{301}", "~", ":", "\\"]
        switch r.int(0 ..< 6) {
        case 0: return r.pick([".", "..", "", "...", "./", "a/..", ".Trash", "desktop.ini", "jobs"])
        case 1: return String(repeating: r.pick(["a", "é", "-"]), count: r.int(250 ... 260))
        case 2: return String(repeating: "x", count: r.int(1 ... 254)) + r.pick(["/", "\u{0}", "", "é", "ab"])
        default: return (0 ..< r.int(1 ... 20)).map { _ in r.pick(alphabet) }.joined()
        }
    }

    @Test func nameRules() {
        fuzz("NameRules") { r, run in
            let name = Self.name(&r)
            let bytes = Array(name.utf8)
            let vault = NameRules.couldBeVault(name), job = NameRules.couldBeJobId(name)
            if !vault { run.reject() }
            // Never a name the kernel or a path could misread.
            let unsafe =
                name == "." || name == ".." || bytes.contains(0x2F) || bytes.contains(0) || bytes.count > 255
                || bytes.isEmpty
            run.expect(!(unsafe && (vault || job)), "\(show(name)) (\(bytes.count) bytes): vault \(vault) job \(job)")
            // The API's alphabets: vault names letters, digits, _ - . ; job ids letters, digits, _ - .
            func only(_ extra: String) -> Bool {
                bytes.allSatisfy {
                    ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A)
                        || extra.utf8.contains($0)
                }
            }
            let vaultReference = !unsafe && only("_-.")
            let jobReference = !unsafe && only("_-")
            run.expect(
                vault == vaultReference && job == jobReference,
                "\(show(name)): vault \(vault) job \(job), reference \(vaultReference) \(jobReference)")
        }
    }
}
