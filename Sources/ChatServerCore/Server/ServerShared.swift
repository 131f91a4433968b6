import ChatWire
import Logging
import NIOCore

/// What every connection handler shares: presence, the list publisher, the observer, the
/// settings (as started; the limits a reload changes are in `limits`, `addresses`, presence's
/// capacity and `connections`), and the bodies every client gets, encoded once. A class, so that each connection
/// holds one reference rather than a copy (idle connections are mostly this kind of state).
final class ServerShared: Sendable {
    let presence: any Presence
    /// The presence's lease (a cluster node's), read before each burst is handled; `nil` on one process.
    let fence: LeaseFence?
    let publisher: ListPublisher
    let observer: any ServerObserver
    /// Whether `observer` wants traffic figures (the handlers skip counting them otherwise).
    let observesTraffic: Bool
    let connections: ConnectionTracker
    /// The time the rules read and their timers run on.
    let clock: any ServerClock
    let configuration: ServerConfiguration
    let logger: Logger
    /// `Connected <interval>` and its NUL.
    let connectedBody: ByteBuffer
    /// The interval alone, padded to 8 characters, and its NUL: the answer to a bare `Connect`.
    let intervalBody: ByteBuffer
    /// The alive timeout in NIO's unit.
    let aliveTimeout: TimeAmount
    /// The flood limits in force (a reload can change them).
    let limits: LiveLimits
    /// Connections per source address (`AddressLimitHandler`).
    let addresses: AddressLimiter
    /// The checks a Connect passes (certificate, password, as the options have it), then presence.
    let admission: AdmissionChain
    /// Whether clients' reads are paced (`ReadPacingHandler`): a per-client rate is set.
    var pacesReads: Bool { self.limits.pacesReads }
    /// Whether the protocol handler counts each read burst's bytes: for the observer, or for pacing.
    var countsBursts: Bool { self.observesTraffic || self.limits.pacesReads }
    /// How long a connection may take to send `Connect`.
    var connectTimeout: TimeAmount { self.limits.connectTimeout }

    init(
        presence: any Presence, publisher: ListPublisher, observer: any ServerObserver,
        connections: ConnectionTracker, clock: any ServerClock, configuration: ServerConfiguration, logger: Logger,
        accounts: Accounts? = nil
    ) {
        var checks: [any AdmissionCheck] = []
        if configuration.tls?.clientCAFile != nil { checks.append(CertificateCheck()) }
        if let accounts { checks.append(PasswordCheck(accounts: accounts)) }
        self.admission = AdmissionChain(checks: checks, presence: presence)
        self.limits = LiveLimits(configuration.flood)
        self.presence = presence
        self.fence = presence.fence
        self.publisher = publisher
        self.observer = observer
        self.observesTraffic = !(observer is NoObserver)
        self.connections = connections
        self.clock = clock
        self.configuration = configuration
        self.logger = logger
        self.connectedBody = ServerBodies.encode(.connected(interval: configuration.aliveInterval))
        self.intervalBody = ServerBodies.encode(text: HeartbeatInterval.padded(configuration.aliveInterval))
        self.aliveTimeout = TimeAmount(configuration.effectiveAliveTimeout)
        self.addresses = AddressLimiter(
            maxOpen: configuration.flood.clientsPerAddress ?? .max,
            connectsPerSecond: configuration.flood.connectsPerAddressPerSecond)
    }

    /// Puts the limits of `configuration` (checked) that can change live in force
    /// (`ChatServer.apply` says which), and refits every open connection to the new rates on its
    /// event loop.
    func apply(_ configuration: ServerConfiguration) {
        let flood = configuration.flood
        let changesPacing = flood != self.limits.flood
        self.limits.set(flood)
        self.addresses.update(
            maxOpen: flood.clientsPerAddress ?? .max, connectsPerSecond: flood.connectsPerAddressPerSecond,
            at: self.clock.now)
        self.connections.setCapacity(flood.waitingConnections ?? configuration.maxClients)
        self.presence.setCapacity(configuration.maxClients)
        self.publisher.setCeiling(configuration.listBudget)
        guard changesPacing else { return }
        let (clock, observer) = (self.clock, self.observer)
        for channel in self.connections.channels() + self.presence.localRecipients().map(\.channel) {
            channel.eventLoop.execute { ReadPacingHandler.refit(channel, to: flood, clock: clock, observer: observer) }
        }
    }
}
