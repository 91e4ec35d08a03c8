import Foundation
import GlacierModel
import Testing

@testable import GlacierEmulator

/// The API model's Codable shapes fed documents from a hostile server: each must decode to
/// exactly the values the schema-driven generator put in, or throw; and what decodes must
/// survive an encode/decode round trip.
@Suite struct ServiceResponseFuzzTests {
    static func decode<T: Decodable>(_ type: T.Type, _ text: String) -> T? {
        try? JSONDecoder().decode(T.self, from: Data(text.utf8))
    }

    static func roundTrips<T: Codable & Equatable>(_ value: T) -> Bool {
        guard let data = try? JSONEncoder().encode(value) else { return false }
        return (try? JSONDecoder().decode(T.self, from: data)) == value
    }

    @Test func jobDescription() {
        fuzz("GlacierJobDescription decode") { r, run in
            let hostility = r.int(0 ... 2)
            let (json, valid, decoded) = HostileJSON.object(GlacierSchemas.job, &r, hostility: hostility)
            let text = HostileJSON.text(json, escapeNonASCII: r.oneIn(4))
            let got = Self.decode(GlacierJobDescription.self, text)
            if got == nil { run.reject() }
            run.expect(
                got == decoded.map(ExpectedModels.job),
                "\(show(text)): \(got == nil ? "rejected" : "accepted"), reference \(valid ? "accepts" : "rejects")")
            if let got { run.expect(Self.roundTrips(got), "\(show(text)): does not round-trip") }
        }
    }

    @Test func listJobsOutput() {
        fuzz("ListJobsOutput decode", iterations: FuzzConfig.iterations(cost: 3)) { r, run in
            let entries = (0 ..< r.int(0 ... 5)).map { _ in
                let hostility = r.oneIn(3) ? 1 : 0
                return HostileJSON.object(GlacierSchemas.job, &r, hostility: hostility)
            }
            let marker = HostileJSON.member(
                HostileJSON.Field(key: "Marker", kind: .string, required: false), &r, hostility: 1)
            var members: [(String, JSONValue)] = [("JobList", .array(entries.map(\.json)))]
            if let m = marker.json { members.append(("Marker", m)) }
            let text = HostileJSON.text(.object(members))
            let got = Self.decode(ListJobsOutput.self, text)
            let valid = marker.valid && entries.allSatisfy(\.valid)
            let expected =
                valid
                ? ListJobsOutput(
                    jobList: entries.map { ExpectedModels.job($0.decoded!) }, marker: marker.decoded?.string) : nil
            if got == nil { run.reject() }
            run.expect(
                got == expected,
                "\(show(text)): \(got == nil ? "rejected" : "accepted"), reference \(valid ? "accepts" : "rejects")")
            if let got { run.expect(Self.roundTrips(got), "\(show(text)): does not round-trip") }
        }
    }

    @Test func listVaultsOutput() {
        fuzz("ListVaultsOutput decode") { r, run in
            let entries = (0 ..< r.int(0 ... 5)).map { _ in
                let hostility = r.oneIn(3) ? 1 : 0
                return HostileJSON.object(GlacierSchemas.vault, &r, hostility: hostility)
            }
            let marker = HostileJSON.member(
                HostileJSON.Field(key: "Marker", kind: .string, required: false), &r, hostility: 1)
            var members: [(String, JSONValue)] = []
            if !r.oneIn(20) { members.append(("VaultList", .array(entries.map(\.json)))) }
            if let m = marker.json { members.append(("Marker", m)) }
            let text = HostileJSON.text(.object(members))
            let got = Self.decode(ListVaultsOutput.self, text)
            let valid = members.first?.0 == "VaultList" && marker.valid && entries.allSatisfy(\.valid)
            let expected =
                valid
                ? ListVaultsOutput(
                    vaultList: entries.map { ExpectedModels.vault($0.decoded!) }, marker: marker.decoded?.string) : nil
            if got == nil { run.reject() }
            run.expect(
                got == expected,
                "\(show(text)): \(got == nil ? "rejected" : "accepted"), reference \(valid ? "accepts" : "rejects")")
            if let got { run.expect(Self.roundTrips(got), "\(show(text)): does not round-trip") }
        }
    }

    @Test func errorBody() {
        fuzz("GlacierErrorBody decode") { r, run in
            let hostility = r.int(0 ... 3)
            let (json, valid, decoded) = HostileJSON.object(GlacierSchemas.error, &r, hostility: hostility)
            var text = HostileJSON.text(json)
            var mutated = false
            if r.oneIn(4) {  // byte-level damage: the answer is then whatever valid JSON it still is
                text = TextMutator.mutate(text, &r)
                mutated = true
            }
            let got = Self.decode(GlacierErrorBody.self, text)
            if got == nil { run.reject() }
            if !mutated {
                run.expect(
                    got == decoded.map(ExpectedModels.error),
                    "\(show(text)): \(got == nil ? "rejected" : "accepted"), reference \(valid ? "accepts" : "rejects")"
                )
            }
            if let got { run.expect(Self.roundTrips(got), "\(show(text)): does not round-trip") }
        }
    }
}
