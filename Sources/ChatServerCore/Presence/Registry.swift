import ChatWire
import NIOConcurrencyHelpers
import NIOCore
import Synchronization

/// The online clients of one process, id to recipient: the in-process `Presence`, shared by
/// every event-loop thread.
///
/// Synchronisation: the registry is the one owner of this state, and one lock guards all of it.
/// Every critical section is a dictionary operation or the return of a cached array: no I/O and
/// no callbacks run under the lock, so writes to sockets never wait for it. The array of all
/// clients is rebuilt lazily after a change and shared until the next one, so a broadcast or a
/// list push takes the lock once, not once per client.
final class Registry: Presence {
    private struct State {
        var clients: [ChatName: LocalRecipient] = [:]
        /// Every client, built on first need after a change and shared until the next one.
        var snapshot: [LocalRecipient]? = []
        /// The same, as broadcast targets (a second array: converting per broadcast would
        /// allocate one each time).
        var targets: [any Recipient]? = []
        /// The bytes of the ids in `clients` together.
        var nameBytes = 0
    }

    private let state = NIOLockedValueBox(State())
    /// Bumped (under the lock) on every change; read without it, so that connection handlers can
    /// keep a looked-up client while nothing changed. A reader that sees the old number may use
    /// a client that just left; delivery to a closed connection is answered `Offline` then.
    private let changes = Atomic<UInt64>(0)
    private let maxClients: Synchronization.Atomic<Int>

    /// A registry of at most `capacity` clients.
    init(capacity: Int) {
        self.maxClients = Atomic(capacity)
    }

    /// The most clients online at once (read as each client is admitted).
    var capacity: Int { self.maxClients.load(ordering: .relaxed) }

    func setCapacity(_ capacity: Int) {
        self.maxClients.store(capacity, ordering: .relaxed)
    }

    /// Admits `recipient` at once unless its id is taken or the registry is full.
    func admit(_ recipient: LocalRecipient) -> AdmissionAnswer {
        .now(self.add(recipient))
    }

    /// Adds `recipient` unless its id is taken or the registry is full.
    func add(_ recipient: LocalRecipient) -> Admission {
        self.state.withLockedValue { state in
            guard state.clients[recipient.name] == nil else { return .refused(.nameTaken(recipient.name)) }
            let capacity = self.capacity
            guard state.clients.count < capacity else { return .refused(.full(capacity)) }
            state.clients[recipient.name] = recipient
            state.nameBytes += recipient.name.length
            state.snapshot = nil
            state.targets = nil
            self.changes.add(1, ordering: .releasing)
            return .admitted
        }
    }

    @discardableResult
    func remove(_ recipient: LocalRecipient) -> Bool {
        self.state.withLockedValue { state in
            guard let current = state.clients[recipient.name], current === recipient else { return false }
            state.clients[recipient.name] = nil
            state.nameBytes -= recipient.name.length
            state.snapshot = nil
            state.targets = nil
            self.changes.add(1, ordering: .releasing)
            return true
        }
    }

    var generation: UInt64 { self.changes.load(ordering: .acquiring) }

    func start(changed: @escaping @Sendable () -> Void) async throws {}

    func stop() async {}

    func recipient(named name: ChatName) -> (any Recipient)? {
        self.local(named: name)
    }

    /// The client of this process named `name`.
    func local(named name: ChatName) -> LocalRecipient? {
        self.state.withLockedValue { $0.clients[name] }
    }

    func broadcastTargets() -> [any Recipient] {
        self.state.withLockedValue { state in
            if let targets = state.targets { return targets }
            let targets: [any Recipient] = Array(state.clients.values)
            state.targets = targets
            return targets
        }
    }

    func localRecipients() -> [LocalRecipient] {
        self.state.withLockedValue { state in
            if let snapshot = state.snapshot { return snapshot }
            let snapshot = Array(state.clients.values)
            state.snapshot = snapshot
            return snapshot
        }
    }

    var listedCount: Int { self.count }

    var localNameBytes: Int { self.state.withLockedValue { $0.nameBytes } }

    func names(local: [LocalRecipient]) -> [ChatName] {
        local.map(\.name).sorted()
    }

    var count: Int {
        self.state.withLockedValue { $0.clients.count }
    }
}
