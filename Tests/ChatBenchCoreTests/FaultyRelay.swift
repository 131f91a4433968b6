import ChatWire
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A deliberately broken relay, to show that chatbench notices what a server gets wrong: it
/// registers clients like the real server, then routes chat frames with one fault at the
/// `at`-th routed frame.
final class FaultyRelay: Sendable {
    /// What goes wrong at the chosen frame.
    enum Fault: Sendable {
        /// The frame is not delivered.
        case drop
        /// The frame is delivered twice.
        case duplicate
        /// The frame is held back and delivered after the next one to the same client.
        case swap
        /// One digit of the body's sequence number is replaced by a byte that is not hex.
        case corrupt
    }

    private struct State {
        var clients: [ChatName: any Channel] = [:]
        var routed = 0
        var held: [ChatName: ByteBuffer] = [:]
    }

    private let state = NIOLockedValueBox(State())
    private let fault: Fault
    private let at: Int
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel

    /// The port the relay listens on.
    var port: Int { self.channel.localAddress?.port ?? 0 }

    private init(fault: Fault, at: Int, group: MultiThreadedEventLoopGroup, channel: any Channel) {
        self.fault = fault
        self.at = at
        self.group = group
        self.channel = channel
    }

    /// Starts a relay on an ephemeral port of 127.0.0.1, on one event loop of its own.
    static func start(fault: Fault, at: Int) async throws -> FaultyRelay {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let box = NIOLockedValueBox<FaultyRelay?>(nil)
        do {
            let channel = try await ServerBootstrap(group: group)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder()))
                        try channel.pipeline.syncOperations.addHandler(Handler(relay: box))
                    }
                }
                .bind(host: "127.0.0.1", port: 0).get()
            let relay = FaultyRelay(fault: fault, at: at, group: group, channel: channel)
            box.withLockedValue { $0 = relay }
            return relay
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// Closes every connection and the listener.
    func stop() async throws {
        try? await self.channel.close()
        try await self.group.shutdownGracefully()
    }

    /// On the relay's one loop: what to do with a frame from `channel`.
    fileprivate func received(_ frame: Frame, on channel: any Channel) {
        if frame.destination == .server {
            if case .connect(let id, _)? = try? ClientControl.parse(frame.body, from: frame.source) {
                self.state.withLockedValue { $0.clients[id] = channel }
                channel.writeAndFlush(ServerControl.connected(interval: .seconds(5)).frame(to: id).wire, promise: nil)
            }
            return
        }
        var outputs: [ByteBuffer] = []
        let target: (any Channel)? = self.state.withLockedValue { state in
            state.routed += 1
            let wire = frame.wire
            if let held = state.held.removeValue(forKey: frame.destination) {
                outputs = [wire, held]  // the frame held back goes out after this one
            } else if state.routed != self.at {
                outputs = [wire]
            } else {
                switch self.fault {
                case .drop: outputs = []
                case .duplicate: outputs = [wire, wire]
                case .swap: state.held[frame.destination] = wire
                case .corrupt:
                    var copy = ByteBuffer(buffer: wire)
                    copy.setInteger(UInt8(ascii: "z"), at: copy.readerIndex + Wire.headerLength + 3)
                    outputs = [copy]
                }
            }
            return state.clients[frame.destination]
        }
        guard let target else { return }
        for output in outputs { target.write(output, promise: nil) }
        target.flush()
    }

    private final class Handler: ChannelInboundHandler, Sendable {
        typealias InboundIn = Frame

        private let relay: NIOLockedValueBox<FaultyRelay?>

        init(relay: NIOLockedValueBox<FaultyRelay?>) {
            self.relay = relay
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = self.unwrapInboundIn(data)
            self.relay.withLockedValue { $0 }?.received(frame, on: context.channel)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
