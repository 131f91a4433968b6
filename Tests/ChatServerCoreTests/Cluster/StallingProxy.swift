import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A TCP proxy in front of a real Redis that can silently stall the connections that
/// subscribe: their bytes are dropped both ways while the sockets stay open, as behind a
/// half-dead connection or a middlebox that lost its state. Commands on other connections pass.
/// While stalling, a connection that subscribes is stalled from its SUBSCRIBE on; once
/// released, new ones pass again (the stalled ones stay stalled).
final class StallingProxy: Sendable {
    /// One proxied connection: the client's side and Redis's, on one event loop.
    private final class Pair: Sendable {
        let client: any Channel
        let server = NIOLockedValueBox<(any Channel)?>(nil)
        /// It sent SUBSCRIBE; stalled: its bytes are dropped from now on.
        let flags = NIOLockedValueBox((subscribed: false, stalled: false))

        init(client: any Channel) {
            self.client = client
        }
    }

    /// Bytes from the client: to Redis, unless stalled.
    private final class ClientSide: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let pair: Pair
        let stalling: NIOLockedValueBox<Bool>
        init(pair: Pair, stalling: NIOLockedValueBox<Bool>) {
            self.pair = pair
            self.stalling = stalling
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = self.unwrapInboundIn(data)
            let stallNew = self.stalling.withLockedValue { $0 }
            let stalled = self.pair.flags.withLockedValue { flags in
                if String(buffer: bytes).contains("SUBSCRIBE") {
                    flags.subscribed = true
                    if stallNew { flags.stalled = true }
                }
                return flags.stalled
            }
            guard !stalled else { return }
            // Nothing is read before Redis's side is connected (`autoRead` is off until then).
            self.pair.server.withLockedValue { $0 }?.writeAndFlush(bytes, promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            self.pair.server.withLockedValue { $0 }?.close(promise: nil)
        }
    }

    /// Bytes from Redis: to the client, unless stalled.
    private final class ServerSide: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let pair: Pair
        init(pair: Pair) { self.pair = pair }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard !self.pair.flags.withLockedValue({ $0.stalled }) else { return }
            self.pair.client.writeAndFlush(self.unwrapInboundIn(data), promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            self.pair.client.close(promise: nil)
        }
    }

    /// The port the proxy listens on (loopback).
    let port: Int
    private let listener: any Channel
    /// Every connection proxied so far.
    private let pairs: NIOLockedValueBox<[Pair]>
    /// Whether connections that subscribe are stalled.
    private let stalling: NIOLockedValueBox<Bool>

    /// The proxy's own thread: on the shared singleton group its connections sometimes went
    /// unanswered for seconds when the machine was loaded (three busy processes on two cores).
    private let group: MultiThreadedEventLoopGroup

    private init(
        listener: any Channel, pairs: NIOLockedValueBox<[Pair]>, stalling: NIOLockedValueBox<Bool>,
        group: MultiThreadedEventLoopGroup
    ) {
        self.group = group
        self.listener = listener
        self.port = listener.localAddress?.port ?? 0
        self.pairs = pairs
        self.stalling = stalling
    }

    /// A proxy on a free loopback port to Redis on `redisPort`.
    static func start(to redisPort: Int) async throws -> StallingProxy {
        let pairs = NIOLockedValueBox<[Pair]>([])
        let stalling = NIOLockedValueBox(false)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let listener = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // Nothing is read from the client until Redis's side is connected.
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { client in
                let pair = Pair(client: client)
                pairs.withLockedValue { $0.append(pair) }
                ClientBootstrap(group: client.eventLoop)
                    .channelInitializer { server in
                        server.eventLoop.makeCompletedFuture {
                            try server.pipeline.syncOperations.addHandler(ServerSide(pair: pair))
                        }
                    }
                    .connect(host: "127.0.0.1", port: redisPort)
                    .whenComplete { result in
                        switch result {
                        case .success(let server):
                            pair.server.withLockedValue { $0 = server }
                            client.setOption(.autoRead, value: true).whenComplete { _ in client.read() }
                        case .failure:
                            client.close(promise: nil)
                        }
                    }
                return client.eventLoop.makeCompletedFuture {
                    try client.pipeline.syncOperations.addHandler(ClientSide(pair: pair, stalling: stalling))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return StallingProxy(listener: listener, pairs: pairs, stalling: stalling, group: group)
    }

    /// Stalls every open connection that subscribed, and every one that subscribes from now on
    /// until `release()`; returns how many are stalled now.
    @discardableResult
    func stallSubscriptions() -> Int {
        self.stalling.withLockedValue { $0 = true }
        for pair in self.pairs.withLockedValue({ $0 }) where pair.client.isActive {
            pair.flags.withLockedValue { flags in
                if flags.subscribed { flags.stalled = true }
            }
        }
        return self.stalledCount
    }

    /// Connections that subscribe from now on pass.
    func release() {
        self.stalling.withLockedValue { $0 = false }
    }

    /// How many connections were stalled so far (open or closed since).
    var stalledCount: Int {
        self.pairs.withLockedValue { $0 }.filter { $0.flags.withLockedValue { $0.stalled } }.count
    }

    /// Closes the listener and every proxied connection.
    func stop() async {
        try? await self.listener.close()
        for pair in self.pairs.withLockedValue({ $0 }) {
            try? await pair.client.close()
        }
        try? await self.group.shutdownGracefully()
    }
}
