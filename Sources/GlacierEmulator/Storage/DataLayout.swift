/// Where each piece of state lives under the data directory:
///
///     lock                                         flock'ed by the running server
///     state.json                                   job-clock offset
///     tmp/                                         every file is born here, then renamed into place
///     synthetic/                                   outputs of synthetic jobs (memory-only, cleared at start)
///     vaults/V/vault.json
///     vaults/V/archives/ID/{data,leaves,archive.json}      archive.json is written last
///     vaults/V/uploads/U/upload.json
///     vaults/V/uploads/U/parts/START.{data,leaves,json}   START.json is written last
///     vaults/V/jobs/J/{job.json,output,override.json}
///
/// `leaves` files hold the archive's 1 MiB leaf digests, 32 bytes each, in order.
struct DataLayout: Sendable {
    let root: String

    init(root: String) {
        self.root = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root
    }

    var tmp: String { root + "/tmp" }
    var synthetic: String { root + "/synthetic" }
    var stateFile: String { root + "/state.json" }
    var vaults: String { root + "/vaults" }

    func vault(_ v: String) -> String { vaults + "/" + v }
    func vaultMeta(_ v: String) -> String { vault(v) + "/vault.json" }

    func archives(_ v: String) -> String { vault(v) + "/archives" }
    func archive(_ v: String, _ id: String) -> String { archives(v) + "/" + id }
    func archiveData(_ v: String, _ id: String) -> String { archive(v, id) + "/data" }
    func archiveLeaves(_ v: String, _ id: String) -> String { archive(v, id) + "/leaves" }
    func archiveMeta(_ v: String, _ id: String) -> String { archive(v, id) + "/archive.json" }

    func uploads(_ v: String) -> String { vault(v) + "/uploads" }
    func upload(_ v: String, _ u: String) -> String { uploads(v) + "/" + u }
    func uploadMeta(_ v: String, _ u: String) -> String { upload(v, u) + "/upload.json" }
    func parts(_ v: String, _ u: String) -> String { upload(v, u) + "/parts" }
    func partData(_ v: String, _ u: String, _ start: Int64) -> String { parts(v, u) + "/\(start).data" }
    func partLeaves(_ v: String, _ u: String, _ start: Int64) -> String { parts(v, u) + "/\(start).leaves" }
    func partMeta(_ v: String, _ u: String, _ start: Int64) -> String { parts(v, u) + "/\(start).json" }

    func jobs(_ v: String) -> String { vault(v) + "/jobs" }
    func job(_ v: String, _ j: String) -> String { jobs(v) + "/" + j }
    func jobMeta(_ v: String, _ j: String) -> String { job(v, j) + "/job.json" }
    func jobOutput(_ v: String, _ j: String) -> String { job(v, j) + "/output" }
    func jobOverride(_ v: String, _ j: String) -> String { job(v, j) + "/override.json" }
}
