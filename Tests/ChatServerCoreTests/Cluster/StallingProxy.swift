import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A TCP proxy in front of a real Redis that can silently stall the connections that
/// subscribed: their bytes are dropped both ways while the sockets stay open, as behind a
/// half-dead connection or a middlebox that lost its state. Commands on other connections pass.
/// A connection opened after the stall passes again.
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
        init(pair: Pair) { self.pair = pair }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = self.unwrapInboundIn(data)
            let stalled = self.pair.flags.withLockedValue { flags in
                if String(buffer: bytes).contains("SUBSCRIBE") { flags.subscribed = true }
                return flags.stalled
            }
            guard !stalled else { return }
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

    private init(listener: any Channel, pairs: NIOLockedValueBox<[Pair]>) {
        self.listener = listener
        self.port = listener.localAddress?.port ?? 0
        self.pairs = pairs
    }

    /// A proxy on a free loopback port to Redis on `redisPort`.
    static func start(to redisPort: Int) async throws -> StallingProxy {
        let pairs = NIOLockedValueBox<[Pair]>([])
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
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
                    try client.pipeline.syncOperations.addHandler(ClientSide(pair: pair))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return StallingProxy(listener: listener, pairs: pairs)
    }

    /// Stalls every open connection that subscribed; returns how many.
    func stallSubscriptions() -> Int {
        let pairs = self.pairs.withLockedValue { $0 }
        var stalled = 0
        for pair in pairs where pair.client.isActive {
            pair.flags.withLockedValue { flags in
                if flags.subscribed, !flags.stalled {
                    flags.stalled = true
                    stalled += 1
                }
            }
        }
        return stalled
    }

    /// Closes the listener and every proxied connection.
    func stop() async {
        try? await self.listener.close()
        for pair in self.pairs.withLockedValue({ $0 }) {
            try? await pair.client.close()
        }
    }
}
