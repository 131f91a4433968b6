import ChatWire
import NIOConcurrencyHelpers
import NIOCore
import Synchronization

/// The online clients, id to connection, shared by every event-loop thread.
///
/// Synchronisation: the registry is the one owner of this state, and one lock guards all of it.
/// Every critical section is a dictionary operation or the return of a cached array: no I/O and
/// no callbacks run under the lock, so writes to sockets never wait for it. The array of all
/// clients is rebuilt lazily after a change and shared until the next one, so a broadcast or a
/// list push takes the lock once, not once per client.
final class Registry: Sendable {
    /// The outcome of a Connect.
    enum Admission: Equatable {
        /// The client is online.
        case admitted
        /// Another connection holds the id.
        case nameTaken
        /// `capacity` clients are online.
        case full
    }

    private struct State {
        var clients: [ChatName: ClientHandle] = [:]
        var snapshot: [ClientHandle]? = []
    }

    private let state = NIOLockedValueBox(State())
    /// Bumped (under the lock) on every change; read without it, so that connection handlers can
    /// keep a looked-up client while nothing changed. A reader that sees the old number may use
    /// a client that just left; delivery to a closed connection is answered `Offline` then.
    private let changes = Atomic<UInt64>(0)
    /// The most clients online at once.
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Adds `client` unless its id is taken or the registry is full.
    func admit(_ client: ClientHandle) -> Admission {
        self.state.withLockedValue { state in
            guard state.clients[client.name] == nil else { return .nameTaken }
            guard state.clients.count < self.capacity else { return .full }
            state.clients[client.name] = client
            state.snapshot = nil
            self.changes.add(1, ordering: .releasing)
            return .admitted
        }
    }

    /// Removes `client` if it is the one registered under its id; `false` if it was not online.
    @discardableResult
    func remove(_ client: ClientHandle) -> Bool {
        self.state.withLockedValue { state in
            guard let current = state.clients[client.name], current === client else { return false }
            state.clients[client.name] = nil
            state.snapshot = nil
            self.changes.add(1, ordering: .releasing)
            return true
        }
    }

    /// A number that changes whenever the online set does.
    var generation: UInt64 { self.changes.load(ordering: .acquiring) }

    /// The online client with id `name`.
    func client(named name: ChatName) -> ClientHandle? {
        self.state.withLockedValue { $0.clients[name] }
    }

    /// Every online client, in no particular order.
    func allClients() -> [ClientHandle] {
        self.state.withLockedValue { state in
            if let snapshot = state.snapshot { return snapshot }
            let snapshot = Array(state.clients.values)
            state.snapshot = snapshot
            return snapshot
        }
    }

    /// The ids of the online clients, sorted by byte order.
    func names() -> [ChatName] {
        self.allClients().map(\.name).sorted()
    }

    /// How many clients are online.
    var count: Int {
        self.state.withLockedValue { $0.clients.count }
    }
}
