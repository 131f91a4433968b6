public import ChatWire
public import Logging
public import NIOCore
import NIOPosix

/// A running chat server: listening, serving, until `shutdown()`.
///
/// Threads: connections are spread over the event loops of the group (one per core by default);
/// each connection's work runs on its own loop. The shared state is the `Registry` (one lock)
/// and the `ListPublisher` (one flag under a lock); everything else is confined to a loop.
public final class ChatServer: Sendable {
    /// The address and port the server is bound to (the real port when 0 was asked for).
    public let localAddress: SocketAddress
    private let serverChannel: any Channel
    private let registry: Registry
    private let logger: Logger

    private init(localAddress: SocketAddress, serverChannel: any Channel, registry: Registry, logger: Logger) {
        self.localAddress = localAddress
        self.serverChannel = serverChannel
        self.registry = registry
        self.logger = logger
    }

    /// Validates `configuration`, binds, and starts serving on `group`.
    ///
    /// - Throws: `ConfigurationError` for bad settings, or the bind error.
    public static func start(
        configuration: ServerConfiguration,
        group: any EventLoopGroup,
        logger: Logger
    ) async throws -> ChatServer {
        try configuration.validate()
        let registry = Registry(capacity: configuration.maxClients)
        let publisher = ListPublisher(
            registry: registry, quietPeriod: configuration.listQuietPeriod, maxDelay: configuration.listMaxDelay,
            scheduler: group.next(), logger: logger)
        let shared = ServerShared(
            registry: registry, publisher: publisher, configuration: configuration, logger: logger)
        let waterMark = ChannelOptions.Types.WriteBufferWaterMark(
            low: configuration.maxPendingBytes / 2, high: configuration.maxPendingBytes)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 4096)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            // NIO starts every connection with a 2 KB receive buffer. Idle clients dominate
            // memory and an idle client's reads are heartbeats of under 64 bytes, so start at
            // 64 (10,000 idle clients: 2.89 KB per client at 256, 2.70 at 64); a busy
            // connection's buffer grows after a few full reads (no change in tp50 throughput).
            .childChannelOption(
                .recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 64, maximum: 65_536)
            )
            .childChannelOption(.writeBufferWaterMark, value: waterMark)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ConnectionHandler(shared: shared))
                }
            }
            .bind(host: configuration.host, port: configuration.port)
            .get()
        guard let address = channel.localAddress else {
            try? await channel.close()
            throw ServerError.noLocalAddress
        }
        let host = address.ipAddress.map { address.protocol == .inet6 ? "[\($0)]" : $0 } ?? configuration.host
        logger.info(
            "listening on \(host):\(address.port ?? configuration.port)",
            metadata: [
                "alive-interval": "\(HeartbeatInterval.format(configuration.aliveInterval))s",
                "alive-timeout": "\(HeartbeatInterval.format(configuration.effectiveAliveTimeout))s",
            ])
        return ChatServer(localAddress: address, serverChannel: channel, registry: registry, logger: logger)
    }

    /// The port the server listens on.
    public var port: Int { self.localAddress.port ?? 0 }

    /// How many clients are online.
    public var onlineCount: Int { self.registry.count }

    /// The ids of the online clients, sorted.
    public var onlineNames: [ChatName] { self.registry.names() }

    /// Stops accepting, tells every online client `Error server shutting down`, closes every
    /// connection and waits for them to close.
    public func shutdown() async {
        self.logger.info("shutting down", metadata: ["clients": "\(self.registry.count)"])
        try? await self.serverChannel.close()
        let closings = self.registry.allClients().map { client in
            client.channel.pipeline.fireUserInboundEventTriggered(ServerShutdownEvent())
            return client.channel.closeFuture
        }
        for closing in closings { try? await closing.get() }
    }
}

/// A failure to start the server.
public enum ServerError: Error, CustomStringConvertible {
    /// The socket has no local address after binding.
    case noLocalAddress

    /// The reason, in words for a person.
    public var description: String {
        switch self {
        case .noLocalAddress: "the listening socket has no address"
        }
    }
}
