import ChatWire
import ChatWireTestSupport
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A server that knows only the assignment's words, as the simplest implementations do:
/// `Connect`, `Alive`, `List`, `Quit` and chat between its clients. Any other word to `-SERVER-`
/// closes the connection. Records what each connection sent.
final class SeedServer: Sendable {
    private struct State {
        /// Per connection, in order: the bodies it sent to `-SERVER-`.
        var controls: [[String]] = []
        /// The chat frames received, in order (`to`, `from`, `text`).
        var chats: [(to: String, from: String, text: String)] = []
        var online: [String: any Channel] = [:]
    }

    private final class Connection: ChannelInboundHandler, Sendable {
        typealias InboundIn = Frame
        let server: SeedServer
        let index: Int
        init(server: SeedServer, index: Int) {
            self.server = server
            self.index = index
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = self.unwrapInboundIn(data)
            let source = frame.source.text
            guard frame.destination == .server else {
                let target = self.server.state.withLockedValue { state -> (any Channel)? in
                    state.chats.append((frame.destination.text, source, frame.text))
                    return state.online[frame.destination.text]
                }
                target?.writeAndFlush(frame.wire, promise: nil)
                return
            }
            self.server.state.withLockedValue { $0.controls[self.index].append(frame.text) }
            let words = frame.text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            switch (words.first ?? "", words.count) {
            case ("Connect", 1...2):
                self.server.state.withLockedValue { $0.online[source] = context.channel }
                self.reply("Connected 5", to: source, context: context)
            case ("Alive", 1...2):
                break
            case ("List", 1):
                let names = self.server.state.withLockedValue { $0.online.keys.sorted() }
                self.reply("List 1/1 " + names.joined(separator: " "), to: source, context: context)
            default:  // Quit, and every word it does not know
                self.server.state.withLockedValue { $0.online[source] = nil }
                context.close(promise: nil)
            }
        }

        private func reply(_ body: String, to id: String, context: ChannelHandlerContext) {
            let bytes = ByteBuffer(bytes: wireFrame(id, "-SERVER-", body))
            context.writeAndFlush(NIOAny(bytes), promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            self.server.state.withLockedValue { state in
                state.online = state.online.filter { $0.value !== context.channel }
            }
        }
    }

    private let state = NIOLockedValueBox(State())
    private let listener = NIOLockedValueBox<(any Channel)?>(nil)

    /// Listens on an ephemeral port; returns it.
    func start() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let index = self.state.withLockedValue { state in
                        state.controls.append([])
                        return state.controls.count - 1
                    }
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(Connection(server: self, index: index))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        self.listener.withLockedValue { $0 = channel }
        return channel.localAddress?.port ?? 0
    }

    /// What each connection sent to `-SERVER-`, in order.
    var controls: [[String]] { self.state.withLockedValue { $0.controls } }

    /// The chat frames received.
    var chats: [(to: String, from: String, text: String)] { self.state.withLockedValue { $0.chats } }

    /// Stops listening and closes every connection.
    func stop() async {
        let open = self.state.withLockedValue { Array($0.online.values) }
        for channel in open { try? await channel.close() }
        try? await self.listener.withLockedValue({ $0 })?.close()
    }
}
