public import ChatWire
public import Logging
import NIOConcurrencyHelpers
public import NIOCore
import RESP
import Synchronization

/// Presence for a chat served by several nodes through one Redis (`--cluster`): ids are unique
/// across the cluster, every node lists everyone, and frames for another node's clients travel
/// through Redis pub/sub. docs/CLUSTER.md says how to run it and what each failure does.
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
    private struct State {
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
    }

    private let configuration: ClusterConfiguration
    private let link: ClusterLink
    /// Claims, releases, the lease, snapshots (frames go on the link's connection).
    private let commands: RESPClient
    private let subscription: RESPClient
    private let local: Registry
    private let clock: any ServerClock
    private let observer: any ServerObserver
    private let logger: Logger
    private let state: NIOLockedValueBox<State>
    /// Bumped on every change of the copied directory (`generation` adds the local one).
    private let remoteChanges = Atomic<UInt64>(0)
    /// Completed the first time the node is registered with a current directory (or when the
    /// start stops waiting for it): a node that can reach Redis starts ready for Connects.
    private let ready: EventLoopPromise<Void>

    /// How long a command to Redis may take before it counts as failed.
    static let commandTimeout: TimeAmount = .seconds(5)

    /// A node of the cluster `configuration` describes, with at most `capacity` clients of its
    /// own; its backbone runs on `loop`. Nothing is connected until `start`.
    public init(
        configuration: ClusterConfiguration, capacity: Int, loop: any EventLoop, clock: any ServerClock,
        observer: any ServerObserver, logger: Logger
    ) {
        self.configuration = configuration
        self.local = Registry(capacity: capacity)
        self.clock = clock
        self.observer = observer
        var logger = logger
        logger[metadataKey: "node"] = "\(configuration.nodeID)"
        self.logger = logger
        let retry = RESPRetry(first: .milliseconds(100), limit: .seconds(1))
        self.link = ClusterLink(
            nodeID: configuration.nodeID, keys: ClusterKeys(cluster: configuration.name), loop: loop,
            publisher: RESPClient(endpoint: configuration.endpoint, loop: loop, retry: retry), local: self.local,
            logger: logger)
        self.commands = RESPClient(endpoint: configuration.endpoint, loop: loop, retry: retry)
        self.subscription = RESPClient(endpoint: configuration.endpoint, loop: loop, retry: retry)
        self.state = NIOLockedValueBox(State(lease: NodeLease(length: TimeAmount(configuration.lease))))
        self.ready = loop.makePromise()
    }

    /// How long the start waits for the first registration before it listens anyway.
    static let startWait: TimeAmount = .seconds(3)

    private var keys: ClusterKeys { self.link.keys }
    private var nodeID: String { self.link.nodeID }
    private var leaseMilliseconds: String {
        String(self.state.withLockedValue { $0.lease.length.nanoseconds } / 1_000_000)
    }

    // MARK: Lifecycle

    /// Checks the backbone once (a wrong password or a server that is not a usable Redis stops
    /// the start), then connects for good: a Redis out of reach is logged and tried again, and
    /// Connects are refused (`Error cluster unavailable`) until it answers.
    public func start(changed: @escaping @Sendable () -> Void) async throws {
        self.state.withLockedValue { $0.changed = changed }
        do {
            let probe = try await RESPConnection.connect(
                to: self.configuration.endpoint, on: self.link.loop, timeout: .seconds(3))
            let deadline = self.link.loop.scheduleTask(in: .seconds(3)) { probe.channel.close(promise: nil) }
            defer {
                deadline.cancel()
                Task { await probe.close() }
            }
            try await Self.check(probe)
        } catch let error as ClusterError {
            throw error
        } catch RESPError.server(let text) {
            throw ClusterError.refused(text)
        } catch let error as RESPError {
            throw ClusterError.unusable(
                "\(self.configuration.endpoint) does not answer like a Redis server (\(error))")
        } catch {
            self.logger.warning(
                "cannot reach the cluster's Redis; trying again, Connects are refused until then",
                metadata: ["redis": "\(self.configuration.endpoint)", "error": "\(error)"])
        }
        self.commands.start { event in await self.commandsChanged(event) }
        self.link.publisher.start { event in
            if case .disconnected(let why) = event {
                self.logger.debug("the connection for frames to other nodes is down", metadata: ["error": "\(why)"])
            }
        }
        self.subscription.start(
            onMessage: { message in self.received(message) },
            onEvent: { event in await self.subscriptionChanged(event) })
        let lease = self.state.withLockedValue { $0.lease }
        let refresh = self.link.loop.scheduleRepeatedTask(
            initialDelay: lease.refreshInterval, delay: lease.refreshInterval
        ) { _ in self.refresh() }
        let watch = self.link.loop.scheduleRepeatedTask(
            initialDelay: lease.reapInterval, delay: lease.reapInterval
        ) { _ in self.watch() }
        self.state.withLockedValue { $0.timers = [refresh, watch] }
        self.logger.info(
            "cluster node starting",
            metadata: [
                "redis": "\(self.configuration.endpoint)", "cluster": "\(self.configuration.name)",
                "lease": "\(self.configuration.lease)",
            ])
        let giveUp = self.link.loop.scheduleTask(in: Self.startWait) { self.completeReady() }
        try? await self.ready.futureResult.get()
        giveUp.cancel()
    }

    /// Leaves the cluster: the node's ids, lease and membership go from Redis at once (the other
    /// nodes push their lists), then the connections close.
    public func stop() async {
        let timers = self.state.withLockedValue { state in
            state.stopped = true
            defer { state.timers = [] }
            return state.timers
        }
        for timer in timers { timer.cancel() }
        self.completeReady()
        // Whether registered or not (a registration may be on its way): leaving is harmless.
        if self.commands.isConnected {
            let leave = self.command([
                "EVAL", .text(ClusterScripts.leave), "4", .text(self.keys.names), .text(self.keys.version),
                .text(self.keys.nodes), .text(self.keys.lease(self.nodeID)), .text(self.nodeID),
                .text(self.keys.events),
            ])
            do {
                _ = try await leave.get()
                self.logger.info("left the cluster")
            } catch {
                self.logger.warning(
                    "could not leave the cluster cleanly; the lease will expire", metadata: ["error": "\(error)"])
            }
        }
        await self.commands.stop()
        await self.link.publisher.stop()
        await self.subscription.stop()
    }

    /// Whether `connection` leads to a Redis this cluster can use: Redis 6 or later, scripting on.
    private static func check(_ connection: RESPConnection) async throws {
        let info = try await connection.send(["INFO", "server"]).get()
        guard let text = info.text,
            let line = text.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix("redis_version:") })
        else {
            throw ClusterError.unusable("the server does not say it is Redis (no redis_version in INFO)")
        }
        let version = String(line.dropFirst("redis_version:".count).filter { !$0.isWhitespace })
        guard let major = Int(version.split(separator: ".").first ?? ""), major >= 6 else {
            throw ClusterError.unusable("Redis \(version) is too old: the cluster needs Redis 6 or later")
        }
        do {
            _ = try await connection.send(["EVAL", "return 1", "0"]).get()
        } catch RESPError.server(let text) {
            throw ClusterError.unusable("Redis does not run scripts (\(text)): the cluster needs EVAL")
        }
    }

    // MARK: Presence

    public func admit(_ recipient: LocalRecipient) -> AdmissionAnswer {
        let now = self.clock.now
        guard self.state.withLockedValue({ $0.registered && $0.lease.isValid(at: now) && !$0.stopped }) else {
            return .now(.refused(.unavailable(CloseReason.clusterUnavailableText)))
        }
        let name = recipient.name
        if self.local.local(named: name) != nil { return .now(.refused(.nameTaken(name))) }
        if self.local.count >= self.local.capacity { return .now(.refused(.full(self.local.capacity))) }
        self.state.withLockedValue { _ = $0.claiming.insert(name) }
        let claim = self.command([
            "EVAL", .text(ClusterScripts.claim), "4", .text(self.keys.names), .text(self.keys.version),
            .text(self.keys.lease(self.nodeID)), .text(self.keys.grace), .text(name.text), .text(self.nodeID),
            .text(self.keys.events),
        ])
        // Added to the registry on the client's loop, in the same task that answers its handler:
        // no frame reaches the client before its `Connected`.
        let answer = claim.hop(to: recipient.eventLoop).map { value -> Admission in
            let fenced = self.state.withLockedValue { state in
                state.claiming.remove(name)
                // An answer that arrives after the lease ran out must not add a client that the
                // outage's close has already passed by.
                return !state.lease.isValid(at: self.clock.now) || state.closedForOutage
            }
            switch value {
            case .integer(let version) where version > 0 && !fenced:
                let admission = self.local.add(recipient)
                if case .refused(.full) = admission { self.release(name) }
                return admission
            case .integer(let version) where version > 0:
                self.release(name)
                return .refused(.unavailable(CloseReason.clusterUnavailableText))
            case .integer(0):
                return .refused(.nameTaken(name))
            case .integer(-1):
                // The lease is gone from Redis (restarted, flushed): register again.
                self.link.loop.execute { self.register() }
                return .refused(.unavailable(CloseReason.clusterUnavailableText))
            default:
                // -2: the grace after Redis lost its data; the nodes are registering theirs.
                return .refused(.unavailable(CloseReason.clusterUnavailableText))
            }
        }.flatMapErrorThrowing { error in
            // Redis may have run the claim and its answer was lost: the next registration makes
            // this node's ids in Redis exactly its clients again.
            self.state.withLockedValue { state in
                state.claiming.remove(name)
                state.mustRegister = true
            }
            return .refused(.unavailable(CloseReason.clusterUnavailableText))
        }
        return .later(answer)
    }

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
    public func names() -> [ChatName] {
        var names = Set(self.local.localRecipients().map(\.name))
        self.state.withLockedValue { names.formUnion($0.directory.owners.keys) }
        return names.sorted()
    }

    public var count: Int { self.local.count }

    /// The copied directory's size (this node's clients are in it once Redis has told).
    public var listedCount: Int {
        max(self.local.count, self.state.withLockedValue { $0.directory.owners.count })
    }

    /// The other node `id`, made on first need (under the lock).
    private func node(_ id: String, in state: inout State) -> ClusterNode {
        if let node = state.nodes[id] { return node }
        let node = ClusterNode(id: id, link: self.link)
        state.nodes[id] = node
        return node
    }

    // MARK: The backbone's connections

    /// The command connection came or went.
    private func commandsChanged(_ event: RESPClient.Event) async {
        switch event {
        case .connected(let connection):
            do {
                try await Self.check(connection)
            } catch {
                self.logger.error("the cluster's Redis cannot be used", metadata: ["error": "\(error)"])
                await connection.close()
                return
            }
            self.logger.info("connected to the cluster's Redis")
            self.link.loop.execute { self.register() }
        case .disconnected(let why):
            let was = self.state.withLockedValue { state in
                defer { state.registered = false }
                return state.registered
            }
            self.link.isUp = false
            if was {
                self.logger.warning("lost the cluster's Redis; trying again", metadata: ["error": "\(why)"])
            }
        }
    }

    /// The subscription came or went: on a new one, subscribe, then read the whole directory.
    private func subscriptionChanged(_ event: RESPClient.Event) async {
        switch event {
        case .connected(let connection):
            self.state.withLockedValue { state in
                state.subscriptionEpoch += 1
                state.directory.awaitSnapshot(droppingEvents: true)
            }
            do {
                _ = try await connection.send(["SUBSCRIBE", .text(self.keys.events)]).get()
                _ = try await connection.send(["SUBSCRIBE", .text(self.keys.inbox(self.nodeID))]).get()
            } catch {
                self.logger.warning("cannot subscribe", metadata: ["error": "\(error)"])
                await connection.close()
                return
            }
            self.state.withLockedValue { $0.subscribed = true }
            self.link.loop.execute { self.requestSnapshot() }
        case .disconnected:
            self.state.withLockedValue { state in
                state.subscribed = false
                state.subscriptionEpoch += 1
                state.directory.awaitSnapshot(droppingEvents: true)
            }
        }
    }

    /// Takes the lease and writes this node's ids (all of them: after a restart of Redis, or a
    /// release that failed, Redis may have lost or kept the wrong ones). Ids another node took
    /// meanwhile are closed here.
    private func register() {
        let request: (names: [String], again: Bool)? = self.state.withLockedValue { state in
            guard !state.registerInFlight, !state.stopped else { return nil }
            state.registerInFlight = true
            state.mustRegister = false
            let names = Set(self.local.localRecipients().map(\.name)).union(state.claiming)
            return (names.map(\.text), state.everRegistered)
        }
        guard let (names, again) = request else { return }
        let sentAt = self.clock.now
        let arguments: [RESPArgument] =
            [
                "EVAL", .text(ClusterScripts.register), "6", .text(self.keys.names), .text(self.keys.version),
                .text(self.keys.nodes), .text(self.keys.lease(self.nodeID)), .text(self.keys.epoch),
                .text(self.keys.grace), .text(self.nodeID), .text(self.leaseMilliseconds), .text(self.keys.events),
                again ? "1" : "0",
            ] + names.map { .text($0) }
        self.command(arguments).whenComplete { result in
            self.state.withLockedValue { $0.registerInFlight = false }
            guard case .success(let value) = result, let parts = value.elements, parts.count == 2,
                case .integer = parts[0], let taken = parts[1].elements
            else {
                self.logger.warning("could not register with the cluster", metadata: ["answer": "\(result)"])
                self.state.withLockedValue { $0.mustRegister = true }
                return
            }
            self.state.withLockedValue { state in
                state.registered = true
                state.everRegistered = true
            }
            self.leaseConfirmed(sentAt: sentAt)
            self.link.isUp = true
            self.logger.info("registered with the cluster", metadata: ["clients": "\(names.count)"])
            for name in taken.compactMap(\.text) {
                guard let id = try? ChatName(validating: name), let client = self.local.local(named: id) else {
                    continue
                }
                self.logger.warning(
                    "an id of this node was taken by another node meanwhile", metadata: ["id": "\(name)"])
                client.close(for: .clusterUnavailable)
            }
            self.requestSnapshot()
        }
    }

    /// Gives `name` back in Redis (it left this node).
    private func release(_ name: ChatName) {
        self.command([
            "EVAL", .text(ClusterScripts.release), "2", .text(self.keys.names), .text(self.keys.version),
            .text(name.text), .text(self.nodeID), .text(self.keys.events),
        ]).whenFailure { _ in
            // Redis keeps the id (or loses it with the lease); the next registration corrects it.
            self.state.withLockedValue { $0.mustRegister = true }
        }
    }

    /// Refreshes the lease (every third of it), or registers again when Redis lost it.
    private func refresh() {
        let (registered, mustRegister) = self.state.withLockedValue { ($0.registered, $0.mustRegister) }
        guard self.commands.isConnected else { return }
        guard registered, !mustRegister else {
            self.register()
            return
        }
        let sentAt = self.clock.now
        self.command([
            "EVAL", .text(ClusterScripts.refresh), "2", .text(self.keys.lease(self.nodeID)), .text(self.keys.version),
            .text(self.leaseMilliseconds),
        ]).whenSuccess { value in
            guard case .integer(let version) = value else { return }
            guard version >= 0 else {
                self.logger.warning("Redis lost this node's lease (restarted or flushed); registering again")
                self.register()
                return
            }
            self.leaseConfirmed(sentAt: sentAt)
            let outcome = self.state.withLockedValue { $0.directory.check(redisVersion: UInt64(version)) }
            if outcome == .needsSnapshot { self.requestSnapshot() }
        }
    }

    /// Redis confirmed the lease (a refresh or a registration sent at `sentAt`): extends it, and
    /// sets a timer for the moment it would run out.
    private func leaseConfirmed(sentAt: NIODeadline) {
        let until: NIODeadline? = self.state.withLockedValue { state in
            state.lease.confirmed(sentAt: sentAt)
            state.closedForOutage = false  // a later outage closes the clients again
            return state.lease.validUntil
        }
        guard let until else { return }
        // Stale timers find the lease extended and do nothing.
        self.clock.schedule(at: until, on: self.link.loop) { self.fenceIfExpired() }
    }

    /// Closes this node's clients (`Error cluster unavailable`) once its lease has run out: from
    /// then on Redis may let another node take their ids.
    private func fenceIfExpired() {
        let now = self.clock.now
        let close = self.state.withLockedValue { state in
            guard !state.lease.isValid(at: now), !state.closedForOutage, !state.stopped else { return false }
            state.closedForOutage = true
            state.lease.lost()
            return true
        }
        guard close else { return }
        let clients = self.local.localRecipients()
        if !clients.isEmpty {
            self.logger.warning(
                "the cluster's Redis has been out of reach for the whole lease: closing this node's clients",
                metadata: ["clients": "\(clients.count)"])
        }
        for client in clients { client.close(for: .clusterUnavailable) }
    }

    /// Four times a lease (at most every 250 ms): drops dead nodes' ids, and reloads a directory
    /// copy that fell behind; checks the lease too (its own timer is the one that counts).
    private func watch() {
        self.fenceIfExpired()
        let now = self.clock.now
        let (reap, reload) = self.state.withLockedValue { state in
            (
                state.registered && state.lease.isValid(at: now),
                state.subscribed && !state.directory.isCurrent && !state.snapshotInFlight
            )
        }
        if reap {
            self.command([
                "EVAL", .text(ClusterScripts.reap), "3", .text(self.keys.names), .text(self.keys.version),
                .text(self.keys.nodes), .text(self.keys.leasePrefix), .text(self.keys.events),
            ]).whenSuccess { value in
                if case .integer(let version) = value, version > 0 {
                    self.logger.info("removed the clients of nodes whose lease expired")
                }
            }
        }
        if reload { self.requestSnapshot() }
    }

    /// Reads the whole directory at one instant; the events kept meanwhile are replayed on it.
    private func requestSnapshot() {
        let epoch: Int? = self.state.withLockedValue { state in
            guard state.subscribed, !state.snapshotInFlight, !state.stopped else { return nil }
            state.snapshotInFlight = true
            state.directory.awaitSnapshot(droppingEvents: false)
            return state.subscriptionEpoch
        }
        guard let epoch else { return }
        self.command(["EVAL", .text(ClusterScripts.snapshot), "2", .text(self.keys.names), .text(self.keys.version)])
            .whenComplete { result in
                var owners: [ChatName: String] = [:]
                var version: UInt64?
                if case .success(let value) = result, let parts = value.elements, parts.count == 2,
                    case .integer(let number) = parts[0], number >= 0, let flat = parts[1].elements
                {
                    version = UInt64(number)
                    var index = 0
                    while index + 1 < flat.count {
                        if let text = flat[index].text, let name = try? ChatName(validating: text),
                            let node = flat[index + 1].text
                        {
                            owners[name] = node
                        }
                        index += 2
                    }
                }
                let outcome: ClusterDirectory.Outcome? = self.state.withLockedValue { state in
                    state.snapshotInFlight = false
                    // Read before the subscription was made again: changes since may be missing.
                    guard state.subscriptionEpoch == epoch else { return .needsSnapshot }
                    guard let version else { return nil }
                    // Nodes that hold no id any more (stopped, died, restarted under a new id) go.
                    let holding = Set(owners.values)
                    state.nodes = state.nodes.filter { holding.contains($0.key) }
                    return state.directory.load(version: version, owners: owners)
                }
                guard let outcome else {
                    self.logger.debug("could not read the directory; trying again", metadata: ["answer": "\(result)"])
                    return
                }
                self.handle(outcome)
                if self.state.withLockedValue({ $0.registered && $0.directory.isCurrent }) { self.completeReady() }
            }
    }

    /// Lets the start go on (once).
    private func completeReady() {
        let first = self.state.withLockedValue { state in
            defer { state.readyCompleted = true }
            return !state.readyCompleted
        }
        if first { self.ready.succeed() }
    }

    /// Does what a change of the copied directory asks for.
    private func handle(_ outcome: ClusterDirectory.Outcome) {
        switch outcome {
        case .unchanged:
            break
        case .changed:
            self.remoteChanges.add(1, ordering: .releasing)
            self.state.withLockedValue { $0.changed }?()
        case .needsSnapshot:
            self.requestSnapshot()
        }
    }

    // MARK: Arrivals

    /// A published message: a change of the directory, or frames for this node's clients.
    private func received(_ message: RESPMessage) {
        if message.channel == self.keys.events {
            guard let event = ClusterEvent(line: String(buffer: message.payload)) else {
                self.logger.warning(
                    "unreadable cluster event; reloading", metadata: ["event": "\(String(buffer: message.payload))"])
                self.state.withLockedValue { $0.directory.awaitSnapshot(droppingEvents: true) }
                self.requestSnapshot()
                return
            }
            self.handle(self.state.withLockedValue { $0.directory.receive(event) })
        } else {
            self.arrived(message.payload)
        }
    }

    /// Frames from another node: each goes to its client here (`ALL` to all of them); direct
    /// messages for an id not here are answered `Offline` back through the sending node.
    private func arrived(_ payload: ByteBuffer) {
        guard let (origin, frames) = ClusterPayload.read(payload) else {
            self.logger.warning("unreadable message in this node's inbox")
            return
        }
        let sender = self.state.withLockedValue { self.node(origin, in: &$0) }
        var batch = OutboundBatch()
        var cursor = frames
        var nobody = ByteBufferAllocator().buffer(capacity: 0)
        while cursor.readableBytes > 0 {
            guard let header = try? FrameDecoder.header(of: cursor), let frame = cursor.readSlice(length: header.length)
            else {
                self.logger.warning("malformed frames from another node", metadata: ["node": "\(origin)"])
                break
            }
            if header.destination == .all {
                for client in self.local.localRecipients() { batch.append(frame, to: client) }
            } else if let client = self.local.local(named: header.destination) {
                batch.append(frame, to: client)
            } else {
                nobody.writeImmutableBuffer(frame)
            }
        }
        batch.deliver(on: self.link.loop, sender: sender, observer: self.observer)
        if nobody.readableBytes > 0 {
            let answered = sender.answerOffline(for: nobody)
            if answered > 0 { self.observer.answeredOffline(answered) }
        }
    }

    // MARK: Commands

    /// Sends a command on the command connection; one that takes longer than `commandTimeout`
    /// fails (a Redis that stopped answering must not hold Connects forever).
    private func command(_ arguments: [RESPArgument]) -> EventLoopFuture<RESPValue> {
        let answer = self.commands.send(arguments)
        let promise = self.link.loop.makePromise(of: RESPValue.self)
        let timeout = self.link.loop.scheduleTask(in: Self.commandTimeout) {
            promise.fail(RESPError.unexpected("no answer within \(Self.commandTimeout)"))
        }
        answer.whenComplete { result in
            timeout.cancel()
            promise.completeWith(result)
        }
        return promise.futureResult
    }
}
