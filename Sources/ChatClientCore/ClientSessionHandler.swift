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
    /// Where `List changes` stands, to tell a server that closes the connection for it
    /// (`closedAfterChangeRequest`) from one that closes it later for other reasons.
    private enum ChangesRequest {
        /// Not asked, or settled: a close is a close.
        case settled
        /// Asked, `changesAnswerTime` not over: a close before an answer that is not a refusal
        /// (the `Online` list, words of the server's own) means the server refused the word. An
        /// `Error` (taken for the refusal) or a `List` (the newcomer's push) does not settle it.
        case waiting(Scheduled<Void>)
        /// The time is over with no answer: full lists it is. A close before any other frame
        /// still means the word (a machine stalled past the time, say); any frame settles it.
        case unanswered
    }

    private var changesRequest = ChangesRequest.settled
    /// How long an answer to `List changes` is waited for.
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
        switch self.changesRequest {
        case .settled:
            break
        case .waiting(let timer):
            // Settled by the `Online` list, or by a frame that made the feed give up on the
            // request (words of the server's own, a late interval...), not by its refusal.
            var answered = false
            switch self.session.changes.stage {
            case .active: answered = true
            case .off: if case .changesUnsupported = incoming {} else { answered = true }
            case .requested, .resyncing: break
            }
            if answered {
                timer.cancel()
                self.changesRequest = .settled
            }
        case .unanswered:
            self.changesRequest = .settled
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
            let list = SortedNames.applying(joined: joined, left: left, to: self.lastList ?? [])
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

    /// Sends `List changes`, in a write of its own after `Connect` was answered, and waits for
    /// its answer (`ChangesRequest`).
    private func askForChanges(context: ChannelHandlerContext) {
        context.writeAndFlush(self.wrapOutboundOut(self.session.changesFrame), promise: nil)
        self.session.requestedChanges()
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let timer = context.eventLoop.scheduleTask(in: TimeAmount(self.changesAnswerTime)) {
            guard case .waiting = handler.value.changesRequest else { return }
            handler.value.changesRequest = .unanswered
            handler.value.session.changesUnanswered()
        }
        self.changesRequest = .waiting(timer)
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
        switch self.changesRequest {
        case .settled:
            break
        case .waiting(let timer):
            timer.cancel()
            if self.endReason == nil { self.endReason = .closedAfterChangeRequest }
        case .unanswered:
            if self.endReason == nil { self.endReason = .closedAfterChangeRequest }
        }
        self.changesRequest = .settled
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
