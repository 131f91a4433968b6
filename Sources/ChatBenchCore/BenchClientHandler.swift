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
}

/// One benchmark client: registers with `Connect`, keeps the heartbeat, reassembles lists and
/// passes messages to its delegate.
///
/// The load must cost far less per message than the server it measures, so this handler cuts
/// frames itself, in place in the received buffer (`FrameDecoder.header(of:)`, the decoder's
/// own rules), instead of a decoder handler that would make a `Frame` and a pipeline event per
/// message; and sends are collected in one buffer per client, written once per batch.
final class BenchClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let id: ChatName
    /// The index of this client in its benchmark.
    let index: Int
    /// Strong, so that a call costs no weak-reference load; dropped when the connection closes.
    private var delegate: (any BenchClientDelegate)?
    private(set) var context: ChannelHandlerContext?
    private var heartbeat: RepeatedTask?
    private var lists = ListReassembler()
    private var listBytes = 0
    /// The start of a frame cut by the end of a read.
    private var partial: ByteBuffer?
    /// Frames written since the last flush, sent as one buffer by `flush()`.
    private var outbox: ByteBuffer?
    private(set) var isReady = false
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

    init(id: ChatName, index: Int, delegate: any BenchClientDelegate) {
        self.id = id
        self.index = index
        self.delegate = delegate
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(
            self.wrapOutboundOut(ClientControl.connect(self.id).frame(from: self.id).wire), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var input = self.unwrapInboundIn(data)
        if var partial = self.partial {
            self.partial = nil
            partial.writeBuffer(&input)
            input = partial
        }
        do {
            while let header = try FrameDecoder.header(of: input) {
                guard let frame = input.readSlice(length: header.length) else { break }
                let body = frame.getSlice(at: frame.readerIndex + Wire.headerLength, length: header.bodyLength)
                self.received(body ?? ByteBuffer(), from: header.source, wireLength: header.length, context: context)
            }
        } catch {
            self.delegate?.clientFailed(self, reason: "malformed input from the server: \(error)")
            context.close(promise: nil)
            return
        }
        if input.readableBytes > 0 {
            var partial = context.channel.allocator.buffer(capacity: Wire.maxFrameLength)
            partial.writeBuffer(&input)
            self.partial = partial
        }
    }

    private func received(_ body: ByteBuffer, from source: ChatName, wireLength: Int, context: ChannelHandlerContext) {
        guard source == .server else {
            self.delegate?.client(self, received: body, from: source)
            return
        }
        switch try? ServerControl.parse(body) {
        case .connected(let interval)? where !self.isReady:
            self.isReady = true
            let channel = context.channel
            let alive = ClientControl.alive(self.id).frame(from: self.id).wire
            self.heartbeat = context.eventLoop.scheduleRepeatedTask(
                initialDelay: TimeAmount(interval / 2), delay: TimeAmount(interval / 2)
            ) { _ in channel.writeAndFlush(alive, promise: nil) }
            self.delegate?.clientReady(self)
        case .list(let part)?:
            self.listBytes += wireLength
            if let names = try? self.lists.add(part) {
                self.delegate?.client(self, receivedList: names.count, bytes: self.listBytes)
                self.listBytes = 0
            }
        case .offline?:
            self.delegate?.clientOffline(self)
        case .error(let text)?:
            self.delegate?.clientFailed(self, reason: "server error: \(text)")
        case .connected?:
            self.delegate?.clientFailed(self, reason: "a second Connected")
        case nil:
            self.delegate?.clientFailed(self, reason: "an unknown message from the server")
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
        self.context?.writeAndFlush(
            self.wrapOutboundOut(ClientControl.quit(self.id).frame(from: self.id).wire), promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.delegate?.clientFailed(self, reason: "\(error)")
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.heartbeat?.cancel()
        self.delegate?.clientFailed(self, reason: "connection closed")
        self.delegate = nil
        self.partner = nil
    }
}
