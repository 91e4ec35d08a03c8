/// JSON forms of the admin API's settings and reports.
enum AdminCodec {
    static func statistics(_ s: EmulatorStatistics) -> JSONValue {
        .object([
            ("faults", .object(FaultKind.allCases.map { ($0.rawValue, .number(String(s.faults[$0]))) })),
            ("faultsTotal", .number(String(s.faults.total))),
            ("requests", .object(s.requests.sorted { $0.key < $1.key }.map { ($0.key, .number(String($0.value))) })),
            ("bytesServed", .number(String(s.bytesServed))),
            (
                "bytesByOperation",
                .object(s.bytesByOperation.sorted { $0.key < $1.key }.map { ($0.key, .number(String($0.value))) })
            ),
        ])
    }

    static func faults(_ f: FaultSettings) -> JSONValue {
        .object([
            (
                "rates",
                .object(
                    FaultKind.allCases.compactMap { k in
                        f.rates[k].map { (k.rawValue, .number(String($0))) }
                    })
            ),
            ("seed", .number(String(f.seed))),
            ("operations", .array(f.operations.sorted().map(JSONValue.string))),
            ("damagePer64KiB", .number(String(f.damagePer64KiB))),
            ("resetPerMiB", .number(String(f.resetPerMiB))),
        ])
    }

    static func faultSettings(_ v: JSONValue) throws(ServiceError) -> FaultSettings {
        var settings = FaultSettings()
        guard case .object = v else { throw .invalidParameter("Expected a JSON object.") }
        if let rates = v["rates"] {
            guard case .object(let members) = rates else { throw .invalidParameter("rates must be an object.") }
            for (name, value) in members {
                guard let kind = FaultKind(rawValue: name) else {
                    throw .invalidParameter(
                        "Unknown fault kind '\(name)'; kinds are "
                            + FaultKind.allCases.map(\.rawValue).joined(separator: ", ") + ".")
                }
                guard let rate = value.doubleValue else {
                    throw .invalidParameter("The rate of \(name) must be a number.")
                }
                settings.rates[kind] = rate
            }
        }
        for (name, path) in [
            ("damagePer64KiB", \FaultSettings.damagePer64KiB), ("resetPerMiB", \FaultSettings.resetPerMiB),
        ] {
            guard let value = v[name], value != .null else { continue }
            guard let rate = value.doubleValue else { throw .invalidParameter("\(name) must be a number.") }
            settings[keyPath: path] = rate
        }
        if let seed = v["seed"] {
            guard case .number(let text) = seed, let n = UInt64(text) else {
                throw .invalidParameter("seed must be a non-negative integer.")
            }
            settings.seed = n
        }
        if let operations = v["operations"] {
            guard case .array(let items) = operations else { throw .invalidParameter("operations must be an array.") }
            settings.operations = Set(
                try items.map { item throws(ServiceError) -> String in
                    guard let s = item.stringValue else { throw .invalidParameter("operations must be strings.") }
                    return s
                })
        }
        return settings
    }

    static func shaping(_ s: ShapingSettings) -> JSONValue {
        .object([
            ("firstByteLatencyMs", .number(String(s.firstByteLatencyMs))),
            ("bytesPerSecondPerConnection", s.bytesPerSecondPerConnection.map { .number(String($0)) } ?? .null),
            ("linkBytesPerSecond", s.linkBytesPerSecond.map { .number(String($0)) } ?? .null),
            ("rateSpreadPercent", .number(String(s.rateSpreadPercent))),
        ])
    }

    static func shapingSettings(_ v: JSONValue) throws(ServiceError) -> ShapingSettings {
        var settings = ShapingSettings()
        if let latency = v["firstByteLatencyMs"], latency != .null {
            guard let ms = latency.intValue else { throw .invalidParameter("firstByteLatencyMs must be an integer.") }
            settings.firstByteLatencyMs = Int(ms)
        }
        if let rate = v["bytesPerSecondPerConnection"], rate != .null {
            guard let n = rate.intValue else {
                throw .invalidParameter("bytesPerSecondPerConnection must be an integer or null.")
            }
            settings.bytesPerSecondPerConnection = n == 0 ? nil : n
        }
        if let rate = v["linkBytesPerSecond"], rate != .null {
            guard let n = rate.intValue else {
                throw .invalidParameter("linkBytesPerSecond must be an integer or null.")
            }
            settings.linkBytesPerSecond = n == 0 ? nil : n
        }
        if let spread = v["rateSpreadPercent"], spread != .null {
            guard let n = spread.intValue else { throw .invalidParameter("rateSpreadPercent must be an integer.") }
            settings.rateSpreadPercent = Int(n)
        }
        return settings
    }

    static func responseOverride(_ v: JSONValue) throws(ServiceError) -> (String, ResponseOverride) {
        guard let operation = v["operation"]?.stringValue, GlacierOperation.allNames.contains(operation) else {
            throw .invalidParameter("operation must name an API operation, e.g. ListVaults.")
        }
        guard let status = v["status"]?.intValue, (200 ... 599).contains(status) else {
            throw .invalidParameter("status must be an HTTP status from 200 to 599.")
        }
        var headers: [String: String] = [:]
        if let h = v["headers"] {
            guard case .object(let members) = h else { throw .invalidParameter("headers must be an object.") }
            for (name, value) in members {
                guard let s = value.stringValue else { throw .invalidParameter("header values must be strings.") }
                headers[name] = s
            }
        }
        let body = v["body"]?.stringValue ?? ""
        let count = v["count"]?.intValue ?? 1
        guard count >= 1 else { throw .invalidParameter("count must be at least 1.") }
        return (operation, ResponseOverride(status: Int(status), headers: headers, body: body, count: Int(count)))
    }
}
