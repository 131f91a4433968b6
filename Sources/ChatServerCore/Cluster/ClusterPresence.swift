import ChatSystem
public import ChatWire
public import Logging
import NIOConcurrencyHelpers
public import NIOCore
import RESP
import Synchronization

/// Presence for a chat served by several nodes through one Redis (`--cluster`): ids are unique
/// across the cluster, every node lists everyone, and frames for another node's clients travel
/// through Redis pub/sub. docs/CLUSTER.md says how to run it and what each failure does.
/// Its concerns are extensions in files of their own: the backbone's connections, start and
/// stop (`+Backbone`), the claims of ids (`+Claims`), the lease and the fence (`+Lease`), the
/// directory's copy (`+Directory`), and the inbox (`+Inbox`; the outbox is `ClusterNode`).
///
/// - Ids: `<name>:names` in Redis (id → node) is the one truth. A Connect is admitted once a
///   script has taken the id there atomically (`ClusterScripts.claim`); a leave gives it back.
/// - Liveness: each node holds a lease (a key with a TTL, refreshed three times per lease) and
///   every node removes the ids of nodes whose lease expired (`reap`, four times a second at
///   most). A node that cannot refresh closes its clients before its lease can expire in Redis
///   (`NodeLease`), so an id is never held on two nodes.
/// - Lists: each node keeps an exact copy of the directory (`ClusterDirectory`) from a snapshot
///   and the versioned changes the scripts publish; every change it applies pushes the list to
///   its own clients as on one node.
/// - Frames: `ClusterNode`, one per other node, collects what this node's clients send there and
///   publishes it once per loop turn to that node's inbox; frames arriving in this node's inbox
///   go to its clients like any others.
///
/// Threads: the backbone's connections and timers run on one loop; the directory and the
/// connection state sit under one lock, read from every loop for lookups (cached by the
/// connections while `generation` holds, as with the registry).
public final class ClusterPresence: Presence {
    struct State {
        var directory = ClusterDirectory()
        var nodes: [String: ClusterNode] = [:]
        /// Broadcast targets, kept while neither the local nor the remote generation changes.
        var targets: (local: UInt64, remote: UInt64, targets: [any Recipient])?
        var lease: NodeLease
        /// Registered on the current command connection (lease taken, ids written).
        var registered = false
        /// Subscribed to the events and the inbox on the current subscription connection.
        var subscribed = false
        var snapshotInFlight = false
        var registerInFlight = false
        /// A release or a claim failed: the next refresh registers the node's ids again instead.
        var mustRegister = false
        /// Registered at least once: a registration into an empty Redis then starts the grace.
        var everRegistered = false
        /// The Redis process registered with last (its `run_id`): another one (a restart, a
        /// failover to a replica) may lack the last writes.
        var redisRunID: String?
        /// Redis may have lost writes this node made (another process answers, or its version
        /// went back): the next registration starts the grace, as after a loss of all data.
        var suspectLoss = false
        /// Ids whose claim Redis may have run and whose answer has not arrived: a registration
        /// meanwhile keeps them.
        var claiming: Set<ChatName> = []
        /// Counts the subscription's connections: a snapshot asked on an older one is dropped.
        var subscriptionEpoch = 0
        /// Whether the clients were closed for this outage already.
        var closedForOutage = false
        var changed: (@Sendable () -> Void)?
        var timers: [RepeatedTask] = []
        var stopped = false
        /// Whether `ready` was completed (a promise completes once).
        var readyCompleted = false
        /// Whether what is published reaches this node's subscription.
        var probe = DeliveryProbe()
        /// This process, as its lease names it.
        var instance: ClusterInstance
        /// Another live process holds this node id's lease: said once, until that changes.
        var displacedBy: String?
        /// The sentinels are being asked whether this node's primary is still theirs.
        var primaryCheckInFlight = false
    }

    let configuration: ClusterConfiguration
    /// TLS in front of every connection to a `rediss://` Redis; `nil` for `redis://`.
    let tls: RESPTransport?
    let link: ClusterLink
    /// Claims, releases, the lease, snapshots (frames go on the link's connection).
    let commands: RESPClient
    let subscription: RESPClient
    let local: Registry
    let clock: any ServerClock
    let observer: any ServerObserver
    let logger: Logger
    let state: NIOLockedValueBox<State>
    /// The lease as connections read it (`LeaseFence`), set wherever `State.lease` changes.
    let leaseFence = LeaseFence()
    /// Bumped on every change of the copied directory (`generation` adds the local one).
    let remoteChanges = Atomic<UInt64>(0)
    /// Completed the first time the node is registered with a current directory (or when the
    /// start stops waiting for it): a node that can reach Redis starts ready for Connects.
    let ready: EventLoopPromise<Void>

    /// How long a delivery probe may take to come back (`DeliveryProbe`): the lease.
    var probePatience: TimeAmount { TimeAmount(self.configuration.lease) }

    /// How long a command to Redis may take before it counts as failed.
    static let commandTimeout: TimeAmount = .seconds(5)

    /// A node of the cluster `configuration` describes, with at most `capacity` clients of its
    /// own; its backbone runs on `loop`, through `tls` for `rediss://`
    /// (`ClusterConfiguration.makeTLS`). Nothing is connected until `start`.
    public init(
        configuration: ClusterConfiguration, tls: ClusterTLS? = nil, capacity: Int, loop: any EventLoop,
        clock: any ServerClock, observer: any ServerObserver, logger: Logger
    ) {
        self.tls = tls?.transport
        self.configuration = configuration
        self.local = Registry(capacity: capacity)
        self.clock = clock
        self.observer = observer
        var logger = logger
        logger[metadataKey: "node"] = "\(configuration.nodeID)"
        self.logger = logger
        let retry = Backoff(initial: .milliseconds(100), maximum: .seconds(1))
        let instance = ClusterInstance()
        self.link = ClusterLink(
            nodeID: configuration.nodeID, keys: ClusterKeys(cluster: configuration.name), loop: loop,
            publisher: RESPClient(target: configuration.endpoint, tls: self.tls, loop: loop, retry: retry),
            local: self.local, token: instance.token,
            observer: observer, logger: logger)
        self.commands = RESPClient(target: configuration.endpoint, tls: self.tls, loop: loop, retry: retry)
        self.subscription = RESPClient(target: configuration.endpoint, tls: self.tls, loop: loop, retry: retry)
        self.state = NIOLockedValueBox(
            State(lease: NodeLease(length: TimeAmount(configuration.lease)), instance: instance))
        self.ready = loop.makePromise()
    }

    /// How long the start waits for the first registration before it listens anyway.
    static let startWait: TimeAmount = .seconds(3)

    var keys: ClusterKeys { self.link.keys }
    var nodeID: String { self.link.nodeID }
    var leaseMilliseconds: String {
        String(self.state.withLockedValue { $0.lease.length.nanoseconds } / 1_000_000)
    }
    /// The value this process writes in its lease (`ClusterInstance`).
    var leaseValue: String { self.state.withLockedValue { $0.instance.leaseValue } }

    // MARK: Presence

    @discardableResult
    public func remove(_ recipient: LocalRecipient) -> Bool {
        guard self.local.remove(recipient) else { return false }
        self.release(recipient.name)
        return true
    }

    public func recipient(named name: ChatName) -> (any Recipient)? {
        if let client = self.local.local(named: name) { return client }
        return self.state.withLockedValue { state in
            guard let owner = state.directory.owners[name], owner != self.nodeID else { return nil }
            return self.node(owner, in: &state)
        }
    }

    public var fence: LeaseFence? { self.leaseFence }

    public func listening(at address: String) {
        self.state.withLockedValue { $0.instance.address = address }
        self.link.loop.execute { self.refresh() }  // the lease says so now, not a third of a lease later
    }

    public var generation: UInt64 { self.local.generation &+ self.remoteChanges.load(ordering: .acquiring) }

    public func broadcastTargets() -> [any Recipient] {
        let localGeneration = self.local.generation
        let remoteGeneration = self.remoteChanges.load(ordering: .acquiring)
        return self.state.withLockedValue { state in
            if let cached = state.targets, cached.local == localGeneration, cached.remote == remoteGeneration {
                return cached.targets
            }
            var targets = self.local.broadcastTargets()
            for owner in Set(state.directory.owners.values) where owner != self.nodeID {
                targets.append(self.node(owner, in: &state))
            }
            state.targets = (localGeneration, remoteGeneration, targets)
            return targets
        }
    }

    public func localRecipients() -> [LocalRecipient] { self.local.localRecipients() }

    /// Everyone in the copied directory, and this node's clients (whose own changes reach the
    /// copy a moment later, through Redis).
    public func names(local: [LocalRecipient]) -> [ChatName] {
        var names = Set(local.map(\.name))
        self.state.withLockedValue { names.formUnion($0.directory.owners.keys) }
        return names.sorted()
    }

    public var count: Int { self.local.count }

    public func setCapacity(_ capacity: Int) { self.local.setCapacity(capacity) }

    /// Up: registered on a connected command connection, the lease valid. Ready besides: subscribed
    /// and the directory copy current (a copy that missed an event, or found itself behind Redis
    /// at a refresh, is not: its node no longer hears the others).
    public var backbone: BackboneStatus? {
        let now = self.clock.now
        let connected = self.commands.isConnected
        return self.state.withLockedValue { state in
            let up = connected && state.registered && state.lease.isValid(at: now) && !state.stopped
            let problem: String? =
                if state.stopped { "the node is leaving the cluster" } else if !connected || !state.registered {
                    "not registered with the cluster's Redis"
                } else if !state.lease.isValid(at: now) {
                    "the node's lease has run out"
                } else if state.probe.isOverdue(at: now, patience: self.probePatience) {
                    "the backbone delivers nothing: a message to this node has not come back within the lease"
                } else if !state.subscribed {
                    "not subscribed to the cluster's events"
                } else if !state.directory.isCurrent { "the copy of the directory is not current" } else { nil }
            let nodes = Set(state.directory.owners.values).union([self.nodeID]).count
            return BackboneStatus(up: up, nodes: nodes, problem: problem)
        }
    }

    /// The copied directory's size (this node's clients are in it once Redis has told).
    public var listedCount: Int {
        max(self.local.count, self.state.withLockedValue { $0.directory.owners.count })
    }

    /// This node's clients' ids (the others' are priced alike).
    public var localNameBytes: Int { self.local.localNameBytes }

    /// The other node `id`, made on first need (under the lock).
    func node(_ id: String, in state: inout State) -> ClusterNode {
        if let node = state.nodes[id] { return node }
        let node = ClusterNode(id: id, link: self.link)
        state.nodes[id] = node
        return node
    }
}
