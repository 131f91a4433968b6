import NIOConcurrencyHelpers
import NIOCore

/// The connections that are not online (yet): shutdown must reach them too, and presence
/// only knows the online ones.
///
/// A connection is added when it opens and removed once presence has admitted it (from then on
/// presence knows it); an online client the server starts to close leaves presence at once and
/// comes back here (`closing`) until it is inactive. So every open connection is known to one
/// of the two at every moment, and an idle online client costs nothing here. One lock; called once per
/// connection and once per admission, never per message.
///
/// It also bounds them as a whole (`--max-unregistered`): a flood of sockets that never send
/// `Connect` cannot take the descriptors online clients need.
final class ConnectionTracker: Sendable {
    /// What may happen to a connection that just opened.
    enum Verdict: Equatable {
        case tracked
        /// The server is shutting down: tell it so and close it.
        case shuttingDown
        /// This many connections wait for their `Connect` already: turn it away.
        case full(Int)
    }

    private struct State {
        var pending: [ObjectIdentifier: any Channel] = [:]
        /// Clients that left presence as the server began to close them, until the channel is
        /// inactive (over TLS, up to the close_notify timeout): not counted against `capacity`.
        var closing: [ObjectIdentifier: any Channel] = [:]
        var shuttingDown = false
        /// The most connections waiting for `Connect` at once.
        var capacity: Int
    }

    private let state: NIOLockedValueBox<State>

    /// At most `capacity` connections waiting for `Connect` at once.
    init(capacity: Int = .max) {
        self.state = NIOLockedValueBox(State(capacity: capacity))
    }

    /// A new bound on the connections waiting for `Connect` (a reload): the ones waiting stay.
    func setCapacity(_ capacity: Int) {
        self.state.withLockedValue { $0.capacity = capacity }
    }

    /// A connection opened: tracked, unless the server is shutting down or too many wait.
    func opened(_ channel: any Channel) -> Verdict {
        self.state.withLockedValue { state in
            guard !state.shuttingDown else { return .shuttingDown }
            guard state.pending.count < state.capacity else { return .full(state.capacity) }
            state.pending[ObjectIdentifier(channel)] = channel
            return .tracked
        }
    }

    /// An online client left presence as its close began: known here until it is inactive,
    /// so that shutdown still reaches it and waits for it.
    func closing(_ channel: any Channel) {
        self.state.withLockedValue { $0.closing[ObjectIdentifier(channel)] = channel }
    }

    /// The connection came online, or closed: presence has it, or nobody needs it.
    func settled(_ channel: any Channel) {
        self.state.withLockedValue { state in
            state.closing.removeValue(forKey: ObjectIdentifier(channel))
            state.pending.removeValue(forKey: ObjectIdentifier(channel))
            // A dictionary keeps its largest size: give it back once a storm of logins is over.
            if state.pending.isEmpty, state.pending.capacity > 64 { state.pending = [:] }
            if state.closing.isEmpty, state.closing.capacity > 64 { state.closing = [:] }
        }
    }

    /// The open connections not online (not yet, or no longer), for a reload to refit.
    func channels() -> [any Channel] {
        self.state.withLockedValue { Array($0.pending.values) + Array($0.closing.values) }
    }

    /// Marks the server as shutting down and returns the connections not online (not yet, or
    /// no longer: closing).
    func beginShutdown() -> [any Channel] {
        self.state.withLockedValue { state in
            state.shuttingDown = true
            return Array(state.pending.values) + Array(state.closing.values)
        }
    }
}
