import GlacierModel
import NIOHTTP1

/// An error answered as Glacier does: a JSON body `{"code","message","type"}` with the code's status.
struct ServiceError: Error, Sendable {
    let status: HTTPResponseStatus
    let code: String
    let message: String
    /// `Client` for 4xx, `Server` for 5xx.
    let type: String

    init(_ status: HTTPResponseStatus, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
        self.type = status.code >= 500 ? "Server" : "Client"
    }

    static func notFound(_ message: String) -> ServiceError {
        ServiceError(.notFound, GlacierErrorCode.resourceNotFound, message)
    }

    static func invalidParameter(_ message: String) -> ServiceError {
        ServiceError(.badRequest, GlacierErrorCode.invalidParameterValue, message)
    }

    static func missingParameter(_ message: String) -> ServiceError {
        ServiceError(.badRequest, GlacierErrorCode.missingParameterValue, message)
    }

    static func accessDenied(_ message: String) -> ServiceError {
        ServiceError(.forbidden, GlacierErrorCode.accessDenied, message)
    }

    /// A failure inside the emulator (disk full, I/O error): 500, as the model gives the code.
    static func internalFailure(_ message: String) -> ServiceError {
        ServiceError(.internalServerError, GlacierErrorCode.serviceUnavailable, message)
    }

    var body: GlacierErrorBody { GlacierErrorBody(code: code, message: message, type: type) }
}
