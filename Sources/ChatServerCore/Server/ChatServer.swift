public import ChatWire
public import Logging
import NIOConcurrencyHelpers
public import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A running chat server: listening, serving, until `shutdown()`.
///
/// Threads: connections are spread over the event loops of the group (one per core by default);
/// each connection's work runs on its own loop; every loop accepts on a listening socket of its
/// own (`bind`).
/// The shared state is presence (the `Registry`, one lock), the `ListPublisher` (its schedule
/// under a lock) and the `ConnectionTracker` (one lock, touched once per connection);
/// everything else is confined to a loop.
public final class ChatServer: Sendable {
    /// The addresses the server is bound to, one per listener, in order (the real port when 0
    /// was asked for).
    public let localAddresses: [SocketAddress]
    private let serverChannels: [any Channel]
    /// Whether `shutdown()` was called: it runs once (a listener on a loop that stopped since
    /// cannot even be closed again).
    private let stopping = Atomic<Bool>(false)
    private let presence: any Presence
    private let connections: ConnectionTracker
    /// What the connections share: where `apply` puts the limits a reload changes.
    private let shared: ServerShared
    /// The users file and TLS files the next `reload()` reads: as at start, or as the last
    /// `apply` named them.
    private let files: NIOLockedValueBox<(users: String?, tls: TLSServerSettings?)>
    private let accounts: Accounts?
    private let tls: TLSContextStore?
    private let logger: Logger
    private let readiness: Readiness
    /// How long shutdown waits for connections to take their last frame (`--drain-timeout`).
    private let drainTimeout: Duration
    /// The operations endpoint (`--metrics-address`), closed last.
    private let operations: (any Channel)?
    /// Where the operations endpoint is bound (the real port when 0 was asked for).
    public let operationsAddress: SocketAddress?
    /// Where the web listener is bound (`--web-address`), or `nil`.
    public let webAddress: SocketAddress?

    private init(
        localAddresses: [SocketAddress], webAddress: SocketAddress?, serverChannels: [any Channel],
        shared: ServerShared, accounts: Accounts?,
        tls: TLSContextStore?, logger: Logger,
        readiness: Readiness, operations: (any Channel)?, drainTimeout: Duration
    ) {
        self.readiness = readiness
        self.drainTimeout = drainTimeout
        self.operations = operations
        self.operationsAddress = operations?.localAddress
        self.tls = tls
        self.localAddresses = localAddresses
        self.webAddress = webAddress
        self.serverChannels = serverChannels
        self.shared = shared
        self.files = NIOLockedValueBox((accounts?.path, tls?.settings))
        self.presence = shared.presence
        self.connections = shared.connections
        self.accounts = accounts
        self.logger = logger
    }

    /// Validates `configuration`, binds every listener, and starts serving on `group`.
    ///
    /// - Parameters:
    ///   - listeners: where to listen and what each listener speaks; by default one plain TCP
    ///     listener on the configuration's host and port.
    ///   - presence: who is online; by default the cluster of `configuration.cluster` if set,
    ///     else a registry in this process.
    ///   - observer: told what happens; by default nobody, or with `metricsAddress` set, the
    ///     `ServerMetrics` that `/metrics` shows (a `ServerMetrics` given here is the one shown).
    ///   - clock: the time the rules read and their timers run on; the machine's by default.
    /// - Throws: `ConfigurationError` for bad settings, `TLSSetupError` for a bad certificate or
    ///   key, `UserFileError` for a bad users file,
    ///   `ClusterError` for a backbone that cannot be used, or the bind error.
    public static func start(
        configuration: ServerConfiguration,
        group: any EventLoopGroup,
        logger: Logger,
        listeners: [Listener]? = nil,
        presence: (any Presence)? = nil,
        observer: any ServerObserver = NoObserver(),
        clock: any ServerClock = SystemClock()
    ) async throws -> ChatServer {
        try configuration.validate()
        let tls = try configuration.tls.map { settings throws(TLSSetupError) in try TLSContextStore(settings: settings)
        }
        let accounts = try configuration.usersFile.map { path throws(UserFileError) in
            try Accounts(path: path, clock: clock, logger: logger)
        }
        if let accounts {
            logger.info("accounts loaded", metadata: ["file": "\(accounts.path)", "accounts": "\(accounts.count)"])
        }
        let metrics = configuration.metricsAddress.map { _ in
            observer as? ServerMetrics ?? ServerMetrics(cluster: configuration.cluster != nil)
        }
        let observer = metrics ?? observer
        let listeners = listeners ?? Self.listeners(for: configuration, tls: tls)
        guard !listeners.isEmpty else { throw ConfigurationError.invalid("the server needs at least one listener") }
        let clusterTLS = try configuration.cluster?.makeTLS()
        let presence =
            presence
            ?? configuration.cluster.map {
                ClusterPresence(
                    configuration: $0, tls: clusterTLS, capacity: configuration.maxClients, loop: group.next(),
                    clock: clock, observer: observer, logger: logger)
            }
            ?? Registry(capacity: configuration.maxClients)
        let publisher = ListPublisher(
            presence: presence, configuration: configuration,
            clock: clock, scheduler: group.next(), observer: observer, logger: logger)
        try await presence.start(changed: { publisher.changed() })
        let connections = ConnectionTracker(
            capacity: configuration.flood.waitingConnections ?? configuration.maxClients)
        let shared = ServerShared(
            presence: presence, publisher: publisher, observer: observer, connections: connections, clock: clock,
            configuration: configuration, logger: logger, accounts: accounts)
        var channels: [any Channel] = []
        var addresses: [SocketAddress] = []
        let readiness = Readiness(presence: presence)
        var operations: (any Channel)?
        do {
            if let address = configuration.metricsAddress {
                let status = OperationsStatus(
                    metrics: { metrics?.exposition(backbone: presence.backbone) },
                    readiness: { readiness.problem })
                let channel: any Channel
                do {
                    channel = try await OperationsServer.bind(address, status: status, group: group)
                } catch {
                    throw ServerError.operationsEndpoint(address, "\(error)")
                }
                operations = channel
                let bound = HostPort(
                    host: channel.localAddress?.ipAddress ?? address.host,
                    port: channel.localAddress?.port ?? address.port)
                logger.info("operations endpoint on http://\(bound)/ (/metrics, /healthz, /readyz)")
            }
            for listener in listeners {
                let sockets = try await Self.bind(listener, shared: shared, group: group)
                channels += sockets
                guard let address = sockets.first?.localAddress else { throw ServerError.noLocalAddress }
                addresses.append(address)
                let host = address.ipAddress.map { address.protocol == .inet6 ? "[\($0)]" : $0 } ?? listener.host
                logger.info(
                    "listening on \(host):\(address.port ?? listener.port)",
                    metadata: [
                        "transport": "\(listener.transport.name)",
                        "alive-interval": "\(HeartbeatInterval.format(configuration.aliveInterval))s",
                        "alive-timeout": "\(HeartbeatInterval.format(configuration.effectiveAliveTimeout))s",
                    ])
            }
            if let first = addresses.first {
                let host = first.ipAddress.map { first.protocol == .inet6 ? "[\($0)]" : $0 } ?? configuration.host
                presence.listening(at: "\(host):\(first.port ?? configuration.port)")
            }
            readiness.beginServing()
        } catch {
            for channel in channels { try? await channel.close() }
            try? await operations?.close()
            await presence.stop()
            throw error
        }
        return ChatServer(
            localAddresses: addresses,
            webAddress: zip(addresses, listeners).first { $0.1.transport is WebSocketTransport }?.0,
            serverChannels: channels, shared: shared,
            accounts: accounts, tls: tls,
            logger: logger, readiness: readiness, operations: operations,
            drainTimeout: configuration.drainTimeout)
    }

    /// The listeners the configuration asks for: plain TCP on the port; with TLS, TLS there
    /// instead, or on `--tls-port` beside the plain one; with `web`, the web listener last (over
    /// TLS when there is a certificate).
    static func listeners(for configuration: ServerConfiguration, tls: TLSContextStore?) -> [Listener] {
        var listeners: [Listener]
        if let tls {
            let secure = TLSTransport(store: tls)
            if let port = tls.settings.port {
                listeners = [
                    Listener(host: configuration.host, port: configuration.port),
                    Listener(host: configuration.host, port: port, transport: secure),
                ]
            } else {
                listeners = [Listener(host: configuration.host, port: configuration.port, transport: secure)]
            }
        } else {
            listeners = [Listener(host: configuration.host, port: configuration.port)]
        }
        if let web = configuration.web {
            let transport = WebSocketTransport(tls: tls, allowedOrigins: web.allowedOrigins)
            listeners.append(Listener(host: web.address.host, port: web.address.port, transport: transport))
        }
        return listeners
    }

    /// Binds one listener as one listening socket per serving loop, all on one port
    /// (SO_REUSEPORT), each accepting on its loop. The kernel spreads the handshakes over the
    /// sockets' queues by the client's address and port, so a join storm has `somaxconn` (4,096
    /// here) places per loop to wait for `accept`. When a queue overflows, the kernel drops the
    /// next SYNs (`TcpExtListenOverflows`) and their clients connect a second later, after a
    /// pause that looks like the end of the storm: two list pushes instead of one. One socket
    /// on one serving loop overflowed in 6 of 9 quiet storms of 10,000; one on a thread of its
    /// own in 3 of 10 on a second machine; a socket per loop in none of 9 there.
    ///
    /// What a socket accepts is served on the group's loops in turn, as NIO's `ServerBootstrap`
    /// does, not on the loop that accepted it: the kernel's hash spreads a few hundred
    /// connections unevenly, and the busier loop sets the latency (50 pairs at full rate: p99
    /// 3.0 ms against 1.65 ms in the same rounds). docs/PERFORMANCE.md, issue 27. Every
    /// connection's pipeline is built by a `ConnectionPipeline`.
    ///
    /// SO_REUSEPORT would also let a second `chatserver` started on the same port bind it and
    /// take part of the connections, silently. So a fixed port is first bound once without it,
    /// and closed: a port that something else listens on fails there as it always did
    /// (`address already in use`), and a later process's own check fails on these sockets.
    private static func bind(
        _ listener: Listener, shared: ServerShared, group: any EventLoopGroup
    ) async throws -> [any Channel] {
        if listener.port != 0 {
            let probe = try await ServerBootstrap(group: group.next())
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: listener.host, port: listener.port)
                .get()
            try await probe.close()
        }
        var sockets: [any Channel] = []
        do {
            var address: SocketAddress?
            for loop in group.makeIterator() {
                let bootstrap = Self.bootstrap(listener, shared: shared, acceptor: loop, group: group)
                let bound = address.map { bootstrap.bind(to: $0) }
                let socket = try await (bound ?? bootstrap.bind(host: listener.host, port: listener.port)).get()
                sockets.append(socket)
                guard let local = socket.localAddress else { throw ServerError.noLocalAddress }
                address = local
            }
            return sockets
        } catch {
            for socket in sockets { try? await socket.close() }
            throw error
        }
    }

    /// How the listening socket of `listener` on `acceptor` accepts its connections and sets
    /// them up on `group`.
    private static func bootstrap(
        _ listener: Listener, shared: ServerShared, acceptor: any EventLoop, group: any EventLoopGroup
    ) -> ServerBootstrap {
        let maxPendingBytes = shared.configuration.maxPendingBytes
        let waterMark = ChannelOptions.Types.WriteBufferWaterMark(low: maxPendingBytes / 2, high: maxPendingBytes)
        let pipeline = ConnectionPipeline(shared: shared, transport: listener.transport)
        return ServerBootstrap(group: acceptor, childGroup: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.socketOption(NIOBSDSocket.Option(rawValue: SO_REUSEPORT)), value: 1)
            .serverChannelOption(.backlog, value: 4096)
            // Accept up to 256 waiting connections per wake-up (NIO's default is 4): while the
            // loops are busy writing lists, a join storm must not back up in the listen queue,
            // where a dropped SYN costs the client a second or more.
            .serverChannelOption(.maxMessagesPerRead, value: 256)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            // NIO starts every connection with a 2 KB receive buffer. Idle clients dominate
            // memory and an idle client's reads are heartbeats of under 64 bytes, so start at
            // 64 (10,000 idle clients: 2.89 KB per client at 256, 2.70 at 64); a busy
            // connection's buffer grows after a few full reads (no change in tp50 throughput).
            .childChannelOption(.recvAllocator, value: Self.receiveAllocator)
            .childChannelOption(.maxMessagesPerRead, value: Self.messagesPerRead)
            .childChannelOption(.writeBufferWaterMark, value: waterMark)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try pipeline.configure(channel) }
            }
    }

    /// How each connection's reads are sized (see `bootstrap`), and what a client's reads go back to
    /// when a reload lifts its rate (`ReadPacingHandler`).
    static let receiveAllocator = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 64, maximum: 65_536)
    /// Reads per wake-up of one connection (NIO's default).
    static let messagesPerRead: UInt = 4

    /// Waits until every channel has closed; at `timeout`, closes the ones still open (peers
    /// that do not read their `Error`), without waiting for their output.
    private static func awaitClosed(_ channels: [any Channel], within timeout: Duration, logger: Logger) async {
        guard let loop = channels.first?.eventLoop else { return }
        let all = EventLoopFuture.andAllComplete(channels.map(\.closeFuture), on: loop)
        let cutoff = loop.scheduleTask(in: TimeAmount(timeout)) {
            let open = channels.filter(\.isActive)
            if !open.isEmpty {
                logger.warning(
                    "drain timeout: closing connections that did not take their last frame",
                    metadata: ["connections": "\(open.count)"])
            }
            for channel in open { channel.close(promise: nil) }
        }
        try? await all.get()
        cutoff.cancel()
    }

    /// The address of the first listener.
    public var localAddress: SocketAddress { self.localAddresses[0] }

    /// The port of the first listener.
    public var port: Int { self.localAddress.port ?? 0 }

    /// How many clients of this server are online.
    public var onlineCount: Int { self.presence.count }

    /// The ids of everyone online (on every node of a cluster), sorted.
    public var onlineNames: [ChatName] { self.presence.names() }

    /// A cluster node's backbone as `/readyz` sees it (`nil` without `--cluster`).
    public var backbone: BackboneStatus? { self.presence.backbone }

    /// Reads the files again (SIGHUP): the users file, the TLS certificate and key (and client
    /// CA), the ones given at start or those the last `apply` named. Each is checked whole
    /// first; a bad one is logged and the one in force stays. Connections are not touched.
    /// Returns whether everything was reloaded.
    @discardableResult
    public func reload() -> Bool {
        var ok = true
        let files = self.files.withLockedValue { $0 }
        if let tls = self.tls {
            do {
                try tls.reload(from: files.tls)
                self.logger.info(
                    "TLS certificate reloaded", metadata: ["certificate": "\(tls.settings.certificateFile)"])
            } catch {
                ok = false
                self.logger.error(
                    "TLS certificate not reloaded; the one in force stays", metadata: ["error": "\(error)"])
            }
        }
        if let accounts = self.accounts {
            do {
                let count = try accounts.reload(from: files.users)
                self.logger.info("users file reloaded", metadata: ["file": "\(accounts.path)", "accounts": "\(count)"])
            } catch {
                ok = false
                self.logger.error(
                    "users file not reloaded; the accounts in force stay",
                    metadata: ["file": "\(files.users ?? accounts.path)", "error": "\(error)"])
            }
        }
        return ok
    }

    /// Puts the limits of `configuration` that can change while the server runs in force (a
    /// reload, SIGHUP with `--config`): the flood limits (`flood`: per client, per address, the
    /// connect timeout and the bound on connections waiting for `Connect`), `maxClients` and
    /// `listBudget`; and names the users file and the TLS files the next `reload()` reads (when
    /// accounts, or TLS, are on already: turning them on or off takes a restart). Open connections take the new per-client rates (a reader that is paced
    /// gets the handler that paces it, or loses it); no client is disconnected: a lower bound
    /// refuses newcomers while more than it are in. Everything else in `configuration` is
    /// ignored here (it takes a restart).
    ///
    /// - Throws: `ConfigurationError` if `configuration` does not validate; nothing changes then.
    public func apply(_ configuration: ServerConfiguration) throws(ConfigurationError) {
        try configuration.validate()
        self.shared.apply(configuration)
        self.files.withLockedValue { files in
            if files.users != nil, let users = configuration.usersFile { files.users = users }
            if files.tls != nil, let tls = configuration.tls { files.tls = tls }
        }
    }

    /// Drains: stops accepting (`/readyz` says 503 from the first instant), tells every
    /// connection (online or not yet) `Error server shutting down` after what it sent before was
    /// delivered or answered, and closes each once that frame is written: online clients leave
    /// presence as their close begins (a cluster node gives their ids back at once). A connection
    /// whose peer does not read is closed at `drainTimeout` (`--drain-timeout`) at the latest.
    public func shutdown() async {
        guard !self.stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        self.logger.info("shutting down", metadata: ["clients": "\(self.presence.count)"])
        self.readiness.beginStopping()
        for channel in self.serverChannels { try? await channel.close() }
        // Not online yet first, then online: a connection admitted in between is in presence by
        // the time it leaves the tracker, so none is missed (`ConnectionTracker`).
        var channels: [any Channel] = []
        for channel in self.connections.beginShutdown() {
            channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
            channels.append(channel)
        }
        for recipient in self.presence.localRecipients() {
            recipient.shutdown()
            channels.append(recipient.channel)
        }
        await Self.awaitClosed(channels, within: self.drainTimeout, logger: self.logger)
        await self.presence.stop()
        try? await self.operations?.close()
    }
}
