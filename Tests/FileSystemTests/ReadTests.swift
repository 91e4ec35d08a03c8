import Foundation
import GlacierTestSupport
import Testing

/// Reading outputs with the tools people use, compared byte for byte with the source.
@Suite(.serialized) struct ReadTests {
    @Test func cpSha256sumAndRsyncCopyExactBytes() async throws {
        try await VaultFixture.with { (f: VaultFixture) async throws in
            try await f.mount { (m: MountedFileSystem) async throws in
                let output = m.path(f.jobPath(f.binaryJob))
                let copy = f.directory.appendingPathComponent("copy").path
                #expect(try await Command.run("/bin/cp", [output, copy]).status == 0)
                #expect(try await VaultFixture.sha256(copy) == VaultFixture.sha256(f.binary.path))
                #expect(try await VaultFixture.sha256(output) == VaultFixture.sha256(f.binary.path))

                let target = f.directory.appendingPathComponent("rsynced").path
                let r = try await Command.run("/usr/bin/rsync", ["-a", m.path("v/jobs/\(f.binaryJob)/"), target + "/"])
                #expect(r.status == 0, "\(r.output)")
                #expect(try await VaultFixture.sha256(target + "/output") == VaultFixture.sha256(f.binary.path))
                // --checksum reads both sides in full and must find nothing to change.
                let again = try await Command.run(
                    "/usr/bin/rsync",
                    [
                        "-a", "--checksum", "--itemize-changes",
                        m.path("v/jobs/\(f.binaryJob)/"), target + "/",
                    ])
                #expect(
                    again.status == 0 && again.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty,
                    "rsync --checksum found differences: \(again.output)")
            }
        }
    }

    @Test func tarListsAndExtractsAStoredTarball() async throws {
        try await VaultFixture.with { (f: VaultFixture) async throws in
            try await f.mount { (m: MountedFileSystem) async throws in
                let output = m.path(f.jobPath(f.tarJob))
                let listed = try await Command.run("/bin/tar", ["-tf", output])
                let expected = try await Command.run("/bin/tar", ["-tf", f.tarball.path])
                #expect(listed.status == 0 && listed.output == expected.output)
                let into = f.directory.appendingPathComponent("extracted")
                try FileManager.default.createDirectory(at: into, withIntermediateDirectories: true)
                #expect(try await Command.run("/bin/tar", ["-xf", output, "-C", into.path]).status == 0)
                let diff = try await Command.run(
                    "/usr/bin/diff", ["-r", into.path, f.directory.appendingPathComponent("tree").path])
                #expect(diff.status == 0, "extracted tree differs: \(diff.output)")
            }
        }
    }

    @Test func ddAtOddOffsetsAndAcrossLeafBoundaries() async throws {
        try await VaultFixture.with { (f: VaultFixture) async throws in
            try await f.mount { (m: MountedFileSystem) async throws in
                let output = m.path(f.jobPath(f.binaryJob))
                let source = try FileHandle(forReadingFrom: f.binary)
                defer { try? source.close() }
                for (skip, count, bs) in [
                    (0, 1, 1), (1_048_575, 3, 1), (4097, 1000, 3), (3_145_727, 2, 1_048_576),
                    (21_495_807, 10, 1), (21_495_800, 100, 1),
                ] {
                    let out = f.directory.appendingPathComponent("dd-\(skip)").path
                    let r = try await Command.run(
                        "/bin/dd",
                        [
                            "if=\(output)", "of=\(out)", "bs=\(bs)", "skip=\(skip)",
                            "count=\(count)", "iflag=skip_bytes", "status=none",
                        ])
                    #expect(r.status == 0, "\(r.output)")
                    try source.seek(toOffset: UInt64(skip))
                    let expected = source.readData(ofLength: bs * count)
                    #expect(
                        try Data(contentsOf: URL(fileURLWithPath: out)) == expected,
                        "dd skip=\(skip) count=\(count) bs=\(bs)")
                }
            }
        }
    }

    @Test func manyReadersInParallelOnOneFileAndOnMany() async throws {
        try await VaultFixture.with { (f: VaultFixture) async throws in
            try await f.mount { (m: MountedFileSystem) async throws in
                let expected = try await VaultFixture.sha256(f.binary.path)
                let binary = m.path(f.jobPath(f.binaryJob))
                let tar = m.path(f.jobPath(f.tarJob))
                let run = try await Command.allAtOnce(
                    (0 ..< 8).map { "sha256sum '\(binary)' > \(f.directory.path)/sum\($0) 2>&1" }
                        + [
                            "sha256sum '\(tar)' > \(f.directory.path)/tarsum",
                            "cat '\(m.path(f.jobPath(f.inventoryJob)))' > /dev/null",
                        ])
                #expect(run.status == 0, "a reader failed: \(run.output)\n\(m.log.suffix(3000))")
                for i in 0 ..< 8 {
                    let sum = try String(contentsOfFile: "\(f.directory.path)/sum\(i)", encoding: .utf8)
                    #expect(sum.hasPrefix(expected), "reader \(i): \(sum)")
                }
                let tarSum = try String(contentsOfFile: "\(f.directory.path)/tarsum", encoding: .utf8)
                #expect(tarSum.hasPrefix(try await VaultFixture.sha256(f.tarball.path)))
            }
        }
    }

    @Test func concurrentReadsOfOneLeafShareOneFetch() async throws {
        try await VaultFixture.with { (f: VaultFixture) async throws in
            try await f.mount { (m: MountedFileSystem) async throws in
                let output = m.path(f.jobPath(f.binaryJob))
                // Eight readers, each at a different place inside leaf 5, all bypassing the page cache.
                let run = try await Command.allAtOnce(
                    (0 ..< 8).map {
                        "dd if='\(output)' of=/dev/null bs=4096 count=1 skip=\(5 * 256 + $0 * 32) iflag=direct status=none"
                    })
                #expect(run.status == 0, "a reader failed: \(run.output)")
                let fetches = try await f.requests("GetJobOutput")
                #expect(fetches == 1, "one fetch for the one leaf")
            }
        }
    }

    @Test func aSmallFirstReadFetchesOneLeafAndNothingMore() async throws {
        try await VaultFixture.with { (f: VaultFixture) async throws in
            try await f.mount { (m: MountedFileSystem) async throws in
                let r = try await Command.run("/usr/bin/head", ["-c", "4096", m.path(f.jobPath(f.binaryJob))])
                #expect(r.status == 0)
                try await Task.sleep(nanoseconds: 300_000_000)  // anything prefetched would have started by now
                #expect(try await f.requests("GetJobOutput") == 1)
                #expect(
                    try await f.emulator.statistics().bytesServed <= Int64(VaultFixture.mib) + 65536,
                    "sniffing the head of a file must not pull megabytes")
            }
        }
    }

    @Test func aSniffThroughABufferedReaderFetchesItsTwoLeavesAndNothingMore() async throws {
        try await VaultFixture.with { (f: VaultFixture) async throws in
            try await f.mount { (m: MountedFileSystem) async throws in
                // Python (like stdio) reads st_blksize, 1 MiB, for a 4 KiB read; the kernel's first
                // readahead makes that 2 MiB of reads.
                let r = try await Command.run(
                    "/usr/bin/env",
                    ["python3", "-c", "import sys; open(sys.argv[1], 'rb').read(4096)", m.path(f.jobPath(f.binaryJob))])
                #expect(r.status == 0, "\(r.output)")
                try await Task.sleep(nanoseconds: 300_000_000)  // anything prefetched would have started by now
                #expect(try await f.requests("GetJobOutput") <= 2)
                #expect(
                    try await f.emulator.statistics().bytesServed <= Int64(2 * VaultFixture.mib) + 65536,
                    "a sniff of the head through a buffered reader must not open a prefetch window")
            }
        }
    }

    /// The kernel's readahead for the mount, from its backing device's `read_ahead_kb`.
    func readaheadKiB(_ m: MountedFileSystem) throws -> Int? {
        let mountinfo = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        let line = mountinfo.split(separator: "\n").last { $0.split(separator: " ")[4] == m.mountpoint }
        guard let device = line?.split(separator: " ")[2] else { return nil }
        let text = try String(contentsOfFile: "/sys/class/bdi/\(device)/read_ahead_kb", encoding: .utf8)
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func onALongRoundTripTheMountReadsAheadDeeperAndASniffStillFetchesTwoLeaves() async throws {
        try await VaultFixture.with { (f: VaultFixture) async throws in
            try await f.mount { (m: MountedFileSystem) async throws in
                let readahead = try readaheadKiB(m)
                #expect(readahead == 8192, "loopback: the usual readahead, not \(String(describing: readahead))")
            }
            // Every answer now waits 50 ms, the listings the mount starts with too.
            try await f.emulator.setShaping(bytesPerSecondPerConnection: nil, firstByteLatencyMs: 50)
            try await f.mount { (m: MountedFileSystem) async throws in
                let readahead = try readaheadKiB(m)
                #expect(
                    readahead == 16384, "a WAN's round trip: deeper readahead, not \(String(describing: readahead))")
                let before = try await f.requests("GetJobOutput")
                let r = try await Command.run(
                    "/usr/bin/env",
                    ["python3", "-c", "import sys; open(sys.argv[1], 'rb').read(4096)", m.path(f.jobPath(f.binaryJob))])
                #expect(r.status == 0, "\(r.output)")
                try await Task.sleep(nanoseconds: 300_000_000)
                #expect(try await f.requests("GetJobOutput") - before <= 2, "a sniff still opens no window")
            }
        }
    }

    @Test func inventoriesAreServedAsValidJSONAndCSV() async throws {
        try await VaultFixture.with { (f: VaultFixture) async throws in
            try await f.mount { (m: MountedFileSystem) async throws in
                let json = try Data(contentsOf: URL(fileURLWithPath: m.path(f.jobPath(f.inventoryJob))))
                let object = try JSONSerialization.jsonObject(with: json) as! [String: Any]
                let archives = object["ArchiveList"] as! [[String: Any]]
                #expect(archives.count == 2)
                #expect(Set(archives.compactMap { $0["ArchiveId"] as? String }).contains(f.binaryArchiveId))
                let csv = try String(contentsOfFile: m.path(f.jobPath(f.csvInventoryJob)), encoding: .utf8)
                #expect(csv.hasPrefix("ArchiveId,ArchiveDescription,CreationDate,Size,SHA256TreeHash\n"))
                #expect(csv.split(separator: "\n").count == 3)
            }
        }
    }

    @Test func anAlignedRangedRetrievalIsTheRightSliceVerified() async throws {
        try await VaultFixture.with { (f: VaultFixture) async throws in
            try await f.mount { (m: MountedFileSystem) async throws in
                let data = try Data(contentsOf: URL(fileURLWithPath: m.path(f.jobPath(f.alignedRangeJob))))
                let source = try Data(contentsOf: f.binary)
                #expect(data == source[(8 * VaultFixture.mib) ..< (16 * VaultFixture.mib)])
            }
        }
    }
}
