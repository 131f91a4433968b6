import ChatTestSupport
import ChatWire
import ChatWireTestSupport
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A scripted stand-in for chatserver: records every frame a client sends (with its arrival
/// time) and answers Connect as told, so tests can check the client's bytes and timing.
final class FakeServer: Sendable {
    /// How to answer a Connect.
    enum Answer: Sendable {
        /// `Connected <interval>`.
        case connected(Duration)
        /// These raw bytes.
        case raw([UInt8])
        /// Nothing at all.
        case silence
    }

    private final class Recorder: ChannelInboundHandler, Sendable {
        typealias InboundIn = Frame
        let server: FakeServer
        init(server: FakeServer) { self.server = server }

        func channelInactive(context: ChannelHandlerContext) {
            let channel = context.channel
            self.server.connection.withLockedValue { client in
                if client === channel { client = nil }
            }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = self.unwrapInboundIn(data)
            let connect = try? ClientControl.parse(frame.body, from: frame.source)
            // Its client is the connection that opens with a Connect while no other client is
            // connected. Any other is closed unheard: a client of another test that reaches this
            // port (a reconnecting client whose server's port the kernel gave to this one) must
            // not be taken for it.
            let channel = context.channel
            let isClient = self.server.connection.withLockedValue { client in
                if client == nil, case .connect? = connect { client = channel }
                return client === channel
            }
            guard isClient else {
                context.close(promise: nil)
                return
            }
            self.server.frames.withLockedValue { $0.append((frame, ContinuousClock.now)) }
            guard case .connect(let id, _)? = connect else { return }
            switch self.server.answer {
            case .connected(let interval):
                context.writeAndFlush(
                    NIOAny(ServerControl.connected(interval: interval).frame(to: id).wire), promise: nil)
            case .raw(let bytes):
                context.writeAndFlush(NIOAny(ByteBuffer(bytes: bytes)), promise: nil)
            case .silence:
                break
            }
        }
    }

    let answer: Answer
    let frames = NIOLockedValueBox<[(frame: Frame, at: ContinuousClock.Instant)]>([])
    /// Its client's connection, once it sent `Connect`.
    let connection = NIOLockedValueBox<(any Channel)?>(nil)
    private let listener = NIOLockedValueBox<(any Channel)?>(nil)
    /// A thread of its own: a client under test gives up on an answer to Connect after 5 s, and
    /// the shared singleton loops can be that busy in a full suite on two cores.
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    init(answer: Answer) { self.answer = answer }

    /// Listens on an ephemeral port; returns it.
    func start() async throws -> Int {
        let channel = try await ServerBootstrap(group: self.group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(Recorder(server: self))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        self.listener.withLockedValue { $0 = channel }
        return channel.localAddress?.port ?? 0
    }

    /// Sends raw bytes to the connected client.
    func send(_ bytes: [UInt8]) async throws {
        guard let channel = self.connection.withLockedValue({ $0 }) else { throw TestFailure("no client connected") }
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    /// Closes the client's connection.
    func dropClient() async {
        try? await self.connection.withLockedValue({ $0 })?.close()
    }

    /// Waits until `count` frames arrived (at most `timeout`); returns them all. With `client`,
    /// the program that sends them: its exit ends the wait at once, with what it said.
    func awaitFrames(_ count: Int, from client: ProgramProcess? = nil, timeout: Duration = Patience.guardTime)
        async throws -> [(frame: Frame, at: ContinuousClock.Instant)]
    {
        let deadline = ContinuousClock.now + timeout
        while true {
            let frames = self.frames.withLockedValue { $0 }
            if frames.count >= count { return frames }
            if let client, !client.isRunning {
                throw TestFailure(
                    "only \(frames.count) of \(count) frames arrived: the client exited, saying: \(client.stderr)")
            }
            guard ContinuousClock.now < deadline else {
                throw TestFailure("only \(frames.count) of \(count) frames arrived")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Stops listening and drops the client.
    func stop() async {
        await self.dropClient()
        try? await self.listener.withLockedValue({ $0 })?.close()
        try? await self.group.shutdownGracefully()
    }
}
