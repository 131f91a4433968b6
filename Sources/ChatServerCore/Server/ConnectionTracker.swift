import NIOConcurrencyHelpers
import NIOCore

/// The connections that are not online (yet): shutdown must reach them too, and presence
/// only knows the online ones.
///
/// A connection is added when it opens and removed once presence has admitted it (from then on
/// presence knows it) and again (a no-op then) when it closes; so every open connection is known to one of the two at
/// every moment, and an idle online client costs nothing here. One lock; called once per
/// connection and once per admission, never per message.
final class ConnectionTracker: Sendable {
    private struct State {
        var pending: [ObjectIdentifier: any Channel] = [:]
        var shuttingDown = false
    }

    private let state = NIOLockedValueBox(State())

    /// A connection opened; `false` if the server is shutting down (close it at once).
    func opened(_ channel: any Channel) -> Bool {
        self.state.withLockedValue { state in
            guard !state.shuttingDown else { return false }
            state.pending[ObjectIdentifier(channel)] = channel
            return true
        }
    }

    /// The connection came online, or closed: presence has it, or nobody needs it.
    func settled(_ channel: any Channel) {
        self.state.withLockedValue { state in
            state.pending.removeValue(forKey: ObjectIdentifier(channel))
            // A dictionary keeps its largest size: give it back once a storm of logins is over.
            if state.pending.isEmpty, state.pending.capacity > 64 { state.pending = [:] }
        }
    }

    /// Marks the server as shutting down and returns the connections not online.
    func beginShutdown() -> [any Channel] {
        self.state.withLockedValue { state in
            state.shuttingDown = true
            return Array(state.pending.values)
        }
    }
}
