import Foundation
import GlacierModel
import OutputCache

/// The contents of `job.json`: the job description as the service gave it, pretty-printed,
/// plus a `glacierfs` note saying whether there is an output file and, if not, why.
enum JobDocument {
    /// `verdict` is the cache's record of the whole-output root check, if any.
    static func render(_ entry: JobEntry, verdict: WholeOutputCheck? = nil) -> [UInt8] {
        var object: [String: Any] = [:]
        if let data = try? JSONEncoder().encode(entry.job),
            let decoded = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        {
            object = decoded
        }
        var note = note(entry)
        if let verdict, verdict.result == .mismatched {
            note["verification"] =
                "root mismatch: the root of the verified leaves (\(verdict.computedRoot)) is not the "
                + "job's SHA256TreeHash; the cached data was dropped and reads are refused. Start a new retrieval job."
        } else if verdict?.result == .matched, entry.outputShape?.isInventory == false {
            note["verification"] = "complete: root matched the job's SHA256TreeHash"
        }
        object["glacierfs"] = note
        let data =
            (try? JSONSerialization.data(
                withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return Array(data) + [UInt8(ascii: "\n")]
    }

    static func note(_ entry: JobEntry) -> [String: String] {
        var note: [String: String] = [:]
        switch (entry.job.statusCode, entry.shape) {
        case (_, .success(let shape)?):
            note["output"] = "present"
            note["verification"] = describe(shape.verification)
        case (_, .failure(let problem)?):
            note["output"] = "absent"
            note["reason"] = "the service's description of this job cannot describe real output: \(problem)"
        case (GlacierJobDescription.Status.inProgress, nil):
            note["output"] = "absent"
            note["reason"] =
                "the job is still InProgress: Glacier has not finished retrieving the data "
                + "(Expedited takes minutes, Standard 3-5 hours, Bulk 5-12 hours). The output appears here when it completes."
        case (GlacierJobDescription.Status.failed, nil):
            note["output"] = "absent"
            note["reason"] =
                "the job Failed: \(entry.job.statusMessage ?? "the service gave no message"). "
                + "Start a new retrieval job."
        default:
            note["output"] = "absent"
            note["reason"] = "the job's status is \(entry.job.statusCode)"
        }
        if entry.source == .cacheOnly {
            note["source"] =
                "cache: the service no longer lists this job (expired) or cannot be reached; cached parts remain readable"
        }
        return note
    }

    static func describe(_ mode: VerificationMode) -> String {
        switch mode {
        case .treeHash: "every byte checked against Glacier's SHA-256 tree hash before it is served"
        case .inventory:
            "inventory: Glacier sends no checksum; size checked and the whole output parsed before it is served"
        case .sizeOnly(let reason): "UNVERIFIED (served by --allow-unverified): \(reason)"
        case .refused(let reason): "refused: \(reason); reads fail with EIO unless mounted with --allow-unverified"
        }
    }
}
