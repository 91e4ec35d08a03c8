import NIOCore
import NIOHTTP1

/// The unsigned control API under `/_emulator/`:
///
///     GET     stats                       fault counts, requests by operation, bytes served (in all and by operation)
///     DELETE  stats                       zero those counters
///     GET|PUT faults                      {"rates":{"flip":0.1},"seed":7,"operations":["GetJobOutput"]}
///     GET|PUT shaping                     {"firstByteLatencyMs":50,"bytesPerSecondPerConnection":40000000,
///                                          "linkBytesPerSecond":200000000,"rateSpreadPercent":50}
///     POST    job-clock                   {"advanceSeconds":3600}
///     PUT     vaults/V/jobs/ID/override   a JSON object whose members replace the description's
///     POST    vaults/V/synthetic-jobs     {"count":10000,"archiveId":"..."}
///     POST    vaults/V/synthetic-archives {"count":200000}   metadata-only archives (SyntheticArchives)
///     POST    response-overrides          {"operation":"ListVaults","status":200,"headers":{},"body":"","count":1}
///     DELETE  response-overrides          drop pending overrides
struct AdminAPI {
    let service: EmulatorService

    func handle(_ request: HTTPRequest, body: ByteBuffer) async -> HTTPResponse {
        do {
            return try await route(request, body: body)
        } catch let error as ServiceError {
            return .error(error)
        } catch let error as ConfigurationError {
            return .error(.invalidParameter(error.description))
        } catch {
            return .error(.invalidParameter("\(error)"))
        }
    }

    private func route(_ request: HTTPRequest, body: ByteBuffer) async throws -> HTTPResponse {
        let path = Array(request.segments.dropFirst())
        switch (request.method, path.count, path.first) {
        case (.GET, 1, "stats"):
            return json(AdminCodec.statistics(service.statisticsSnapshot()))
        case (.DELETE, 1, "stats"):
            service.resetStatistics()
            return HTTPResponse(status: .noContent)
        case (.GET, 1, "faults"):
            return json(AdminCodec.faults(service.faults.settings))
        case (.PUT, 1, "faults"):
            try service.setFaults(try AdminCodec.faultSettings(try parse(body)))
            return json(AdminCodec.faults(service.faults.settings))
        case (.GET, 1, "shaping"):
            return json(AdminCodec.shaping(service.shaping))
        case (.PUT, 1, "shaping"):
            try service.updateShaping(try AdminCodec.shapingSettings(try parse(body)))
            return json(AdminCodec.shaping(service.shaping))
        case (.POST, 1, "job-clock"):
            guard let seconds = try parse(body)["advanceSeconds"]?.doubleValue, seconds.isFinite else {
                throw ServiceError.invalidParameter("Expected {\"advanceSeconds\": N}.")
            }
            try await service.store.advanceClock(by: seconds)
            let offset = service.store.withState { $0.jobClockOffset }
            return json(.object([("offsetSeconds", .number(String(offset)))]))
        case (.PUT, 5, "vaults") where path[2] == "jobs" && path[4] == "override":
            try await service.overrideJob(vault: path[1], jobId: path[3], with: try parse(body))
            return HTTPResponse(status: .noContent)
        case (.POST, 3, "vaults") where path[2] == "synthetic-jobs":
            let input = try parse(body)
            guard let count = input["count"]?.intValue else {
                throw ServiceError.invalidParameter("Expected {\"count\": N, \"archiveId\": optional}.")
            }
            let ids = try await service.createSyntheticJobs(
                vault: path[1], count: Int(count),
                archiveId: input["archiveId"]?.stringValue)
            return json(
                .object([("count", .number(String(ids.count))), ("jobIds", .array(ids.map(JSONValue.string)))]))
        case (.POST, 3, "vaults") where path[2] == "synthetic-archives":
            guard let count = try parse(body)["count"]?.intValue else {
                throw ServiceError.invalidParameter("Expected {\"count\": N}.")
            }
            let total = try service.createSyntheticArchives(vault: path[1], count: Int(count))
            return json(.object([("archiveCount", .number(String(total)))]))
        case (.POST, 1, "response-overrides"):
            let (operation, override) = try AdminCodec.responseOverride(try parse(body))
            service.overrides.add(override, operation: operation)
            return HTTPResponse(status: .noContent)
        case (.DELETE, 1, "response-overrides"):
            service.overrides.clear()
            return HTTPResponse(status: .noContent)
        default:
            throw ServiceError.notFound("No admin endpoint matches \(request.method.rawValue) \(request.rawPath).")
        }
    }

    private func parse(_ body: ByteBuffer) throws -> JSONValue {
        do {
            return try JSONParser.parse(body.readableBytesView)
        } catch {
            throw ServiceError.invalidParameter("The body is not valid JSON: \(error)")
        }
    }

    private func json(_ value: JSONValue) -> HTTPResponse { .json(bytes: Array(value.serialized().utf8)) }
}
