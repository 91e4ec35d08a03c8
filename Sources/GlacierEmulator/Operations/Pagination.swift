/// The `limit` and `marker` query parameters of the List operations.
enum Pagination {
    /// Parses `limit` (a decimal in 1...max), or returns the default.
    static func limit(_ c: OperationContext, default defaultLimit: Int, max: Int) throws(ServiceError) -> Int {
        guard let text = c.request.query["limit"] else { return defaultLimit }
        guard let n = Int(text), (1 ... max).contains(n) else {
            throw .invalidParameter("Invalid limit '\(text)': it must be an integer from 1 to \(max).")
        }
        return n
    }

    static func marker(_ c: OperationContext) -> String? {
        guard let m = c.request.query["marker"], !m.isEmpty else { return nil }
        return m
    }
}
