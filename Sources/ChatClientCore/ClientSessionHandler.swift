import ChatWire
import NIOCore
import NIOTLS

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

    /// Whether to ask for change events once connected (`List changes`).
    private let changeEvents: Bool
    /// Whether `Connect` waits for the transport's handshake to be passed on (TLS, after the
    /// server's name was checked: `ServerNameCheck`).
    private let opensOnHandshake: Bool
    /// Runs from `List changes` until an `Online` list arrives or `changesAnswerTime` passed: a
    /// close meanwhile is the server refusing the word (`closedAfterChangeRequest`).
    private var changesWindow: Scheduled<Void>?
    /// How long the window stays open.
    private let changesAnswerTime: Duration

    init(
        id: ChatName, connected: EventLoopPromise<(announced: Duration?, heartbeat: Duration)>,
        events: AsyncStream<ChatEvent>.Continuation, changeEvents: Bool = true, password: [UInt8]? = nil,
        opensOnHandshake: Bool = false, changesAnswerTime: Duration = ClientProtocol.changesAnswerTime
    ) {
        self.changesAnswerTime = changesAnswerTime
        self.session = ClientProtocol(id: id, password: password)
        self.changeEvents = changeEvents
        self.opensOnHandshake = opensOnHandshake
        self.connected = connected
        self.events = events
    }

    /// Marks the coming close as ours.
    func closingByUs() {
        if self.endReason == nil { self.endReason = .closedByUs }
    }

    func channelActive(context: ChannelHandlerContext) {
        if !self.opensOnHandshake {
            context.writeAndFlush(self.wrapOutboundOut(self.session.connectFrame), promise: nil)
        }
        context.fireChannelActive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if self.opensOnHandshake, case TLSUserEvent.handshakeCompleted = event {
            context.writeAndFlush(self.wrapOutboundOut(self.session.connectFrame), promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
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

    /// Ends the session. The first reason is the real one (a malformed reply, not the close that
    /// follows it): it is kept, and a pending Connect fails with `error`, or with that reason.
    private func end(
        _ reason: DisconnectReason, failingConnectWith error: ClientError? = nil, context: ChannelHandlerContext
    ) {
        let first = self.endReason ?? reason
        self.endReason = first
        self.failConnect(error ?? .endedBeforeAnswer(first))
        context.close(promise: nil)
    }

    /// Fails a Connect still waiting for its answer.
    private func failConnect(_ error: ClientError) {
        guard let promise = self.connected else { return }
        self.connected = nil
        promise.fail(error)
    }

    private func handle(_ incoming: ClientProtocol.Incoming, context: ChannelHandlerContext) {
        if self.changesWindow != nil {
            // The window ends with an answer that is not a refusal: the `Online` list (the server
            // takes the word), or words of the server's own (it went on without it). An `Error`
            // or a `List` does not end it: a close right after those still means the word.
            var answered = false
            if case .active = self.session.changes.stage { answered = true }
            if case .serverText = incoming { answered = true }
            if answered {
                self.changesWindow?.cancel()
                self.changesWindow = nil
            }
        }
        switch incoming {
        case .connected(let announced, let every, let greeting):
            if let promise = self.connected {
                self.connected = nil
                if self.changeEvents { self.askForChanges(context: context) }
                promise.succeed((announced, every))
            } else {
                // Admitted earlier without an interval; the server announced one now.
                self.events.yield(.intervalAnnounced(every))
            }
            if let greeting { self.events.yield(.serverText(greeting)) }
            self.startHeartbeat(every: every, context: context)
        case .refused(let text):
            self.end(.closedByUs, failingConnectWith: .refused(text), context: context)
        case .unexpectedAnswer(let text):
            self.end(.closedByUs, failingConnectWith: .unexpectedAnswer(text), context: context)
        case .message(let source, let body, let broadcast):
            self.events.yield(.message(from: source, text: String(buffer: body), broadcast: broadcast))
        case .list(let names, _):
            self.events.yield(.list(ListUpdate(names: names, previous: self.lastList)))
            self.lastList = names
        case .listChanged(let joined, let left, _, _):
            var names = Set(self.lastList ?? [])
            names.subtract(left)
            names.formUnion(joined)
            let list = names.sorted()
            self.events.yield(.list(ListUpdate(names: list, previous: self.lastList)))
            self.lastList = list
        case .askFullList:
            context.writeAndFlush(self.wrapOutboundOut(self.session.listFrame), promise: nil)
            self.session.askedForFullList()
        case .listPart, .changesUnsupported:
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

    /// Sends `List changes`, in a write of its own after `Connect` was answered, and opens the
    /// window in which a close means the server does not take it.
    private func askForChanges(context: ChannelHandlerContext) {
        context.writeAndFlush(self.wrapOutboundOut(self.session.changesFrame), promise: nil)
        self.session.requestedChanges()
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        self.changesWindow = context.eventLoop.scheduleTask(in: TimeAmount(self.changesAnswerTime)) {
            handler.value.changesWindow = nil
            handler.value.session.changesUnanswered()
        }
    }

    /// Sends `Alive` every `every` from now on (replacing an earlier cadence).
    private func startHeartbeat(every: Duration, context: ChannelHandlerContext) {
        self.heartbeat?.cancel()
        let channel = context.channel
        let alive = self.session.aliveFrame
        self.heartbeat = context.eventLoop.scheduleRepeatedTask(
            initialDelay: TimeAmount(every), delay: TimeAmount(every)
        ) { _ in
            channel.writeAndFlush(alive, promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.end(.failed(ClientTLS.describe(error) ?? "\(error)"), context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.heartbeat?.cancel()
        if self.changesWindow != nil, self.endReason == nil { self.endReason = .closedAfterChangeRequest }
        self.changesWindow?.cancel()
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
