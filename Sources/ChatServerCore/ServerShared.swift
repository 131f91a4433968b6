import ChatWire
import Logging
import NIOCore

/// What every connection handler shares: the registry, the list publisher, the settings, and
/// the bodies every client gets, encoded once. A class, so that each connection holds one
/// reference rather than a copy (idle connections are mostly this kind of state).
final class ServerShared: Sendable {
    let registry: Registry
    let publisher: ListPublisher
    let configuration: ServerConfiguration
    let logger: Logger
    /// `Connected <interval>` and its NUL.
    let connectedBody: ByteBuffer
    /// The timeout in NIO's unit.
    let aliveTimeout: TimeAmount

    init(registry: Registry, publisher: ListPublisher, configuration: ServerConfiguration, logger: Logger) {
        self.registry = registry
        self.publisher = publisher
        self.configuration = configuration
        self.logger = logger
        self.connectedBody = ServerBodies.encode(.connected(interval: configuration.aliveInterval))
        self.aliveTimeout = TimeAmount(configuration.effectiveAliveTimeout)
    }
}

/// Sent through a connection's pipeline when the server shuts down.
struct ServerShutdownEvent: Sendable {}

/// Sent through a connection's pipeline with a new online list: the encoded part bodies, shared
/// by every connection.
struct OnlineListEvent: Sendable {
    let parts: [ByteBuffer]
}
