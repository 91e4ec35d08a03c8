import Foundation
import GlacierModel
import Testing

@testable import GlacierClient
@testable import GlacierEmulator
@testable import GlacierFileSystem

/// The lenient ListJobs page decoder on pages mixing valid, damaged and hostile entries: it must
/// keep every entry that is a valid job description, skip every other one with a reason naming
/// its index, and fail only when the page itself is malformed. Entries that decode but must never
/// become files (negative sizes, ids with NUL, `/` or `..`) must then be refused by the filesystem
/// layer the page feeds (NameRules, JobOutputShape).
@Suite struct JobPageFuzzTests {
    struct Entry {
        var json: JSONValue
        var expected: GlacierJobDescription?
        /// Decodes, but must not become a file.
        var hostileId = false
        var negativeSize = false
    }

    static func entry(_ r: inout FuzzRandom) -> Entry {
        switch r.int(0 ..< 10) {
        case 0:  // not a job object at all
            let json = r.pick([
                JSONValue.null, .number("99999999999999999999"), .string("job"), .array([.object([])]),
                .bool(false), .object([("JobId", .object([("JobId", .null)]))]),
            ])
            return Entry(json: json, expected: nil)
        case 1, 2:  // type-valid, but hostile for a filesystem
            var (json, _, decoded) = HostileJSON.object(GlacierSchemas.job, &r, hostility: 0)
            guard case .object(var members) = json, var d = decoded else { return Entry(json: json, expected: nil) }
            var e = Entry(json: json, expected: nil)
            if r.bool() {
                let id = r.pick(["a/b", "..", ".", "x\u{0}y", "../../etc", "ab..cd", "/"])
                members.removeAll { $0.0 == "JobId" }
                members.append(("JobId", .string(id)))
                d["JobId"] = .string(id)
                e.hostileId = true
            } else {
                let size = -Int64(r.magnitude(maxBits: 62)) - 1
                members.removeAll { $0.0 == "ArchiveSizeInBytes" || $0.0 == "InventorySizeInBytes" || $0.0 == "Action" }
                let action =
                    r.bool()
                    ? GlacierJobDescription.Action.archiveRetrieval : GlacierJobDescription.Action.inventoryRetrieval
                members += [
                    ("Action", .string(action)), ("ArchiveSizeInBytes", .number(String(size))),
                    ("InventorySizeInBytes", .number(String(size))),
                ]
                d["Action"] = .string(action)
                d["ArchiveSizeInBytes"] = .int64(size)
                d["InventorySizeInBytes"] = .int64(size)
                e.negativeSize = true
            }
            json = .object(members)
            e.json = json
            e.expected = ExpectedModels.job(d)
            return e
        case 3, 4, 5:  // damaged: missing fields, nulls, wrong types, numbers no Int64 holds
            let hostility = r.int(1 ... 3)
            let (json, _, decoded) = HostileJSON.object(GlacierSchemas.job, &r, hostility: hostility)
            return Entry(json: json, expected: decoded.map(ExpectedModels.job))
        default:
            let (json, _, decoded) = HostileJSON.object(GlacierSchemas.job, &r, hostility: 0)
            return Entry(json: json, expected: decoded.map(ExpectedModels.job))
        }
    }

    @Test func tolerantPageKeepsValidEntriesAndSkipsTheRest() {
        fuzz("TolerantJobPage", iterations: FuzzConfig.iterations(cost: 3)) { r, run in
            let entries = (0 ..< r.int(0 ... 8)).map { _ in Self.entry(&r) }
            run.executions += entries.count  // the page, and each entry on it
            let marker = HostileJSON.member(
                HostileJSON.Field(key: "Marker", kind: .string, required: false), &r, hostility: 1)
            var members: [(String, JSONValue)] = []
            let listShape = r.int(0 ..< 20)
            switch listShape {
            case 0: break  // no JobList
            case 1: members.append(("JobList", .null))
            case 2: members.append(("JobList", .object([])))
            default: members.append(("JobList", .array(entries.map(\.json))))
            }
            if let m = marker.json { members.append(("Marker", m)) }
            let text = HostileJSON.text(.object(members), escapeNonASCII: r.oneIn(4))
            let pageValid = listShape >= 3 && marker.valid

            let page: TolerantJobPage
            do {
                page = try JSONDecoder().decode(TolerantJobPage.self, from: Data(text.utf8))
            } catch {
                run.reject()
                run.expect(!pageValid, "\(show(text)): the whole page failed (\(GlacierClient.describe(error)))")
                return
            }
            run.expect(pageValid, "\(show(text)): a malformed page was accepted")
            guard pageValid else { return }
            run.expect(
                page.marker == marker.decoded?.string, "\(show(text)): marker \(String(describing: page.marker))")
            run.expect(
                page.entries.count == entries.count,
                "\(show(text)): \(page.entries.count) results for \(entries.count) entries")
            for (i, (entry, result)) in zip(entries, page.entries).enumerated() {
                switch result {
                case .success(let job):
                    run.expect(
                        job == entry.expected,
                        "\(show(text)): entry \(i) kept, reference \(entry.expected == nil ? "skips it" : "other values")"
                    )
                    if entry.hostileId {
                        run.expect(
                            !NameRules.couldBeJobId(job.jobId),
                            "entry \(i): id \(show(job.jobId)) could become a file name")
                    }
                    if entry.negativeSize {
                        let shape = try? JobOutputShape.of(job, allowUnverified: true)
                        run.expect(shape == nil, "entry \(i): negative size accepted as \(String(describing: shape))")
                    }
                case .failure(let failure):
                    run.reject()
                    run.expect(entry.expected == nil, "\(show(text)): valid entry \(i) skipped (\(failure.reason))")
                    run.expect(
                        failure.reason.contains("entry \(i)"),
                        "entry \(i): reason \(show(failure.reason)) does not name it")
                }
            }
        }
    }
}
