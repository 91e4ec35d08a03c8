import NIOCore
import Synchronization

/// The open client connections, so that stopping the server can close them.
final class ConnectionRegistry: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var stopping = false
    }

    private let state = Mutex(State())

    /// Registers a connection; returns false (and the caller closes it) once stopping has begun.
    func add(_ channel: any Channel) -> Bool {
        state.withLock { s in
            guard !s.stopping else { return false }
            s.channels[ObjectIdentifier(channel)] = channel
            return true
        }
    }

    func remove(_ channel: any Channel) {
        _ = state.withLock { $0.channels.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// Marks the registry as stopping and closes every open connection.
    func closeAll() {
        let channels = state.withLock { s in
            s.stopping = true
            return Array(s.channels.values)
        }
        for channel in channels { channel.close(promise: nil) }
    }
}
