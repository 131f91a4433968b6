import NIOCore

/// Builds each connection's pipeline, in front of one core (as Hummingbird composes a child
/// channel): the policies that are on, the transport's prefix, the protocol handler.
///
/// ```
/// head ─ AddressLimitHandler ─ [transport prefix] ─ ReadPacingHandler? ─ ConnectionHandler ─ tail
///        leaves as the         plain TCP: none      only with a          the protocol
///        connection opens      TLS: NIOSSLServer-   per-client rate      (frames, rules,
///        unless open           Handler, Client-     (--max-msgs-per-     presence, lists)
///        connections are       CertificateHandler?  sec, --max-bytes-
///        capped                                     per-sec)
/// ```
///
/// Whatever the transport, the protocol handler takes and gives chat255 bytes. A server with
/// no limit, no TLS and no accounts has the protocol handler alone once the connection is open.
struct ConnectionPipeline: Sendable {
    /// What the connections share.
    let shared: ServerShared
    /// The listener's transport.
    let transport: any ChatTransport

    /// Adds the handlers to a new connection's pipeline, on its event loop.
    func configure(_ channel: any Channel) throws {
        let handlers = channel.pipeline.syncOperations
        let now = self.shared.clock.now
        if self.shared.observer.countsSocketTraffic {
            try handlers.addHandler(TrafficCountingHandler(observer: self.shared.observer))
        }
        try handlers.addHandler(AddressLimitHandler(limiter: self.shared.addresses, clock: self.shared.clock))
        try self.transport.configure(channel)
        if self.shared.pacesReads, let gate = FloodGate(self.shared.limits.flood, now: now) {
            try handlers.addHandler(
                ReadPacingHandler(gate: gate, clock: self.shared.clock, observer: self.shared.observer))
        }
        try handlers.addHandler(
            ConnectionHandler(shared: self.shared, now: now, handshaking: self.transport.handshakes))
    }
}
