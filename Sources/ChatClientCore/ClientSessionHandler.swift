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
    /// Completed by the server's answer to Connect: the interval it announced (if any) and the
    /// heartbeat the client keeps.
    private var connected: EventLoopPromise<(announced: Duration?, heartbeat: Duration)>?
    private var cutter = FrameCutter()
    private var heartbeat: RepeatedTask?
    private var lastList: [ChatName]?
    private var endReason: DisconnectReason?

    init(
        id: ChatName, connected: EventLoopPromise<(announced: Duration?, heartbeat: Duration)>,
        events: AsyncStream<ChatEvent>.Continuation
    ) {
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
            self.end(.malformed("\(error)"), context: context)
        }
    }

    /// Ends the session for `reason`, unless it already has a reason (the first one is the real
    /// one): a pending Connect fails with it, and the connection closes.
    private func end(_ reason: DisconnectReason, context: ChannelHandlerContext) {
        if self.endReason == nil { self.endReason = reason }
        self.failConnect(ClientError.endedBeforeAnswer(reason))
        context.close(promise: nil)
    }

    /// Fails a Connect still waiting for its answer.
    private func failConnect(_ error: ClientError) {
        guard let promise = self.connected else { return }
        self.connected = nil
        promise.fail(error)
    }

    private func handle(_ incoming: ClientProtocol.Incoming, context: ChannelHandlerContext) {
        switch incoming {
        case .connected(let announced, let every, let greeting):
            self.connected?.succeed((announced, every))
            self.connected = nil
            if let greeting { self.events.yield(.serverText(greeting)) }
            let channel = context.channel
            let alive = self.session.aliveFrame
            self.heartbeat = context.eventLoop.scheduleRepeatedTask(
                initialDelay: TimeAmount(every), delay: TimeAmount(every)
            ) { _ in
                channel.writeAndFlush(alive, promise: nil)
            }
        case .refused(let text):
            self.endReason = .closedByUs
            self.failConnect(ClientError.refused(text))
            context.close(promise: nil)
        case .unexpectedAnswer(let text):
            self.endReason = .closedByUs
            self.failConnect(ClientError.unexpectedAnswer(text))
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
        case .serverText(let text):
            self.events.yield(.serverText(text))
        case .unreadable(let why):
            self.events.yield(.unreadable(why))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.end(.failed("\(error)"), context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.heartbeat?.cancel()
        if self.endReason == nil {
            // The stream ended inside a frame: the server sent malformed data.
            do { try self.cutter.finish() } catch { self.endReason = .malformed("\(error)") }
        }
        let reason = self.endReason ?? .closedByServer
        self.failConnect(ClientError.endedBeforeAnswer(reason))
        self.events.yield(.disconnected(reason))
        self.events.finish()
        context.fireChannelInactive()
    }
}
