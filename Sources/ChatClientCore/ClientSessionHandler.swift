import ChatWire
import NIOCore

/// The client's side of one connection, on its event loop: cuts frames (`FrameCutter`), lets
/// `ClientProtocol` say what each means, sends `Alive` at its cadence, and turns the rest into
/// `ChatEvent`s.
final class ClientSessionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var session: ClientProtocol
    private let events: AsyncStream<ChatEvent>.Continuation
    private var connected: EventLoopPromise<Duration>?
    private var cutter = FrameCutter()
    private var heartbeat: RepeatedTask?
    private var lastList: [ChatName]?
    private var endReason: DisconnectReason?

    init(id: ChatName, connected: EventLoopPromise<Duration>, events: AsyncStream<ChatEvent>.Continuation) {
        self.session = ClientProtocol(id: id)
        self.connected = connected
        self.events = events
    }

    /// Marks the coming close as ours.
    func closingByUs() {
        if self.endReason == nil { self.endReason = .closedByUs }
    }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(self.wrapOutboundOut(self.session.connectFrame), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var input = self.unwrapInboundIn(data)
        do {
            while let frame = try self.cutter.next(from: &input) {
                self.handle(
                    self.session.received(frame.header, body: frame.header.body(in: frame.wire)), context: context)
            }
        } catch {
            if self.endReason == nil { self.endReason = .malformed("\(error)") }
            context.close(promise: nil)
        }
    }

    private func handle(_ incoming: ClientProtocol.Incoming, context: ChannelHandlerContext) {
        switch incoming {
        case .connected(let interval, let every):
            self.connected?.succeed(interval)
            self.connected = nil
            let channel = context.channel
            let alive = self.session.aliveFrame
            self.heartbeat = context.eventLoop.scheduleRepeatedTask(
                initialDelay: TimeAmount(every), delay: TimeAmount(every)
            ) { _ in
                channel.writeAndFlush(alive, promise: nil)
            }
        case .refused(let text):
            self.endReason = .closedByUs
            self.connected?.fail(ClientError.refused(text))
            self.connected = nil
            context.close(promise: nil)
        case .unexpectedAnswer(let text):
            self.endReason = .closedByUs
            self.connected?.fail(ClientError.unexpectedAnswer(text))
            self.connected = nil
            context.close(promise: nil)
        case .message(let source, let body, let broadcast):
            self.events.yield(.message(from: source, text: String(buffer: body), broadcast: broadcast))
        case .list(let names, _):
            self.events.yield(.list(ListUpdate(names: names, previous: self.lastList)))
            self.lastList = names
        case .listPart:
            break
        case .offline(let name):
            self.events.yield(.offline(name))
        case .serverError(let text):
            self.events.yield(.serverError(text))
        case .unreadable(let why):
            self.events.yield(.unreadable(why))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if self.endReason == nil { self.endReason = .failed("\(error)") }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.heartbeat?.cancel()
        if let promise = self.connected {
            self.connected = nil
            promise.fail(ClientError.unexpectedAnswer("the connection closed"))
        }
        if self.endReason == nil {
            // The stream ended inside a frame: the server sent malformed data.
            do { try self.cutter.finish() } catch { self.endReason = .malformed("\(error)") }
        }
        self.events.yield(.disconnected(self.endReason ?? .closedByServer))
        self.events.finish()
        context.fireChannelInactive()
    }
}
