import ChatClientCore
import ChatWire
import NIOCore

/// What a benchmark client reports to the benchmark that drives it. Called on the client's loop.
protocol BenchClientDelegate: AnyObject {
    /// `Connected` arrived: the client may send.
    func clientReady(_ client: BenchClientHandler)
    /// A chat message arrived from `source` (`body`: a slice of the received bytes).
    func client(_ client: BenchClientHandler, received body: ByteBuffer, from source: ChatName)
    /// The server answered `Offline` for a message this client sent.
    func clientOffline(_ client: BenchClientHandler)
    /// A read burst ended: flush what was written meanwhile.
    func clientReadComplete(_ client: BenchClientHandler)
    /// A complete online list arrived (`bytes`: the list frames' total wire size).
    func client(_ client: BenchClientHandler, receivedList names: Int, bytes: Int)
    /// The connection failed or closed, or the server sent something a client never expects.
    func clientFailed(_ client: BenchClientHandler, reason: String)
    /// A cluster node refused the Connect for now and closed (`BenchRetries`): connect again.
    func clientRefusedForNow(_ client: BenchClientHandler)
}

/// One benchmark client: the shared client protocol (`ClientProtocol`: Connect, heartbeat
/// cadence, lists) with frames cut by the shared `FrameCutter`, passing messages to its delegate.
///
/// The load must cost far less per message than the server it measures, so this handler cuts
/// frames in place in the received buffer (`FrameCutter`, the decoder's own rules), instead of
/// a decoder handler that would make a `Frame` and a pipeline event per message; and sends are
/// collected in one buffer per client, written once per batch.
final class BenchClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let id: ChatName
    /// The index of this client in its benchmark.
    let index: Int
    /// Strong, so that a call costs no weak-reference load; dropped when the connection closes.
    private var delegate: (any BenchClientDelegate)?
    private(set) var context: ChannelHandlerContext?
    private var session: ClientProtocol
    private var cutter = FrameCutter()
    private var heartbeat: RepeatedTask?
    /// Frames written since the last flush, sent as one buffer by `flush()`.
    private var outbox: ByteBuffer?
    private(set) var isReady = false
    /// The Connect was refused for now (`BenchRetries.refusalText`): the close that follows is
    /// reported as that, not as a failure.
    private var refusedForNow = false
    /// Messages this client sent, and (pairs) how many of them are still in flight.
    var sent: UInt64 = 0
    var inflight = 0
    /// Pairs: the partner (on the same loop), and the next sequence number expected from it.
    var partner: BenchClientHandler?
    var expectedFromPartner: UInt64 = 0
    /// Fanout: the next sequence number expected from each sender, by sender index.
    var expected: [Int: UInt64] = [:]
    /// Whether writes wait for a flush.
    var needsFlush = false

    /// Whether to ask for change events once connected (`List changes`).
    private let changeEvents: Bool

    init(id: ChatName, index: Int, delegate: any BenchClientDelegate, changeEvents: Bool = false) {
        self.changeEvents = changeEvents
        self.id = id
        self.index = index
        self.delegate = delegate
        self.session = ClientProtocol(id: id, keepsNames: false)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(self.wrapOutboundOut(self.session.connectFrame), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var input = self.unwrapInboundIn(data)
        do {
            while let frame = try self.cutter.next(from: &input) {
                let header = frame.header
                let body = header.body(in: frame.wire)
                if header.source != .server, self.isReady {
                    // The hot path: a chat message, straight to the delegate.
                    self.delegate?.client(self, received: body, from: header.source)
                } else {
                    self.handle(self.session.received(header, body: body), context: context)
                }
            }
        } catch {
            self.delegate?.clientFailed(self, reason: "malformed input from the server: \(error)")
            context.close(promise: nil)
        }
    }

    private func handle(_ incoming: ClientProtocol.Incoming, context: ChannelHandlerContext) {
        switch incoming {
        case .connected(_, let every, _):
            let wasReady = self.isReady
            self.isReady = true
            self.heartbeat?.cancel()
            let channel = context.channel
            let alive = self.session.aliveFrame
            self.heartbeat = context.eventLoop.scheduleRepeatedTask(
                initialDelay: TimeAmount(every), delay: TimeAmount(every)
            ) { _ in channel.writeAndFlush(alive, promise: nil) }
            if !wasReady, self.changeEvents {
                // As chatclient does: once Connect is answered, in a write of its own.
                context.writeAndFlush(self.wrapOutboundOut(self.session.changesFrame), promise: nil)
                self.session.requestedChanges()
            }
            if !wasReady { self.delegate?.clientReady(self) }
        case .message(let source, let body, _):
            self.delegate?.client(self, received: body, from: source)
        case .list(let names, let bytes):
            self.delegate?.client(self, receivedList: names.count, bytes: bytes)
        case .listChanged(_, _, let online, let bytes):
            self.delegate?.client(self, receivedList: online, bytes: bytes)
        case .askFullList:
            context.writeAndFlush(NIOAny(self.session.listFrame), promise: nil)
            self.session.askedForFullList()
        case .listPart, .changesUnsupported:
            break
        case .offline:
            self.delegate?.clientOffline(self)
        case .refused(let text) where !self.isReady && text == BenchRetries.refusalText:
            self.refusedForNow = true
        case .refused(let text), .serverError(let text):
            self.delegate?.clientFailed(self, reason: "server error: \(text)")
        case .unexpectedAnswer(let text):
            self.delegate?.clientFailed(self, reason: ClientError.unexpectedAnswer(text).description)
            context.close(promise: nil)
        case .serverText(let why), .unreadable(let why):
            self.delegate?.clientFailed(self, reason: "an unknown message from the server: \(why)")
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.delegate?.clientReadComplete(self)
    }

    /// Appends a frame to the outbox, calling `body` to write its bytes; `flush()` sends it.
    func write(frameLength: Int, _ body: (inout ByteBuffer) -> Void) {
        guard let context = self.context else { return }
        // Taken out while written to, so that the buffer stays uniquely referenced (no copy).
        var outbox = self.outbox ?? context.channel.allocator.buffer(capacity: 16 * frameLength)
        self.outbox = nil
        body(&outbox)
        self.outbox = outbox
    }

    /// Sends the outbox in one write and flushes.
    func flush() {
        guard let context = self.context, let outbox = self.outbox else { return }
        self.outbox = nil
        context.writeAndFlush(self.wrapOutboundOut(outbox), promise: nil)
    }

    /// Sends `Quit` and closes.
    func quit() {
        self.context?.writeAndFlush(self.wrapOutboundOut(self.session.quitFrame), promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.delegate?.clientFailed(self, reason: "\(error)")
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.heartbeat?.cancel()
        if self.refusedForNow {
            self.delegate?.clientRefusedForNow(self)
        } else {
            self.delegate?.clientFailed(self, reason: "connection closed")
        }
        self.delegate = nil
        self.partner = nil
    }
}
