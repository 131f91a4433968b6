import ChatWire
import NIOCore

/// What a benchmark client reports to the benchmark that drives it. Called on the client's loop.
protocol BenchClientDelegate: AnyObject {
    /// `Connected` arrived: the client may send.
    func clientReady(_ client: BenchClientHandler)
    /// A chat frame arrived.
    func client(_ client: BenchClientHandler, received frame: Frame)
    /// A read burst ended: flush what was written meanwhile.
    func clientReadComplete(_ client: BenchClientHandler)
    /// A complete online list arrived (`bytes`: the list frames' total wire size).
    func client(_ client: BenchClientHandler, receivedList names: Int, bytes: Int)
    /// The connection failed or closed.
    func clientFailed(_ client: BenchClientHandler, reason: String)
}

/// One benchmark client: registers with `Connect`, keeps the heartbeat, reassembles lists and
/// passes everything else to its delegate. Sends are written without flushing; the driver
/// flushes once per batch.
final class BenchClientHandler: ChannelInboundHandler {
    typealias InboundIn = Frame
    typealias OutboundOut = ByteBuffer

    let id: ChatName
    /// The index of this client in its benchmark.
    let index: Int
    weak var delegate: (any BenchClientDelegate)?
    private(set) var context: ChannelHandlerContext?
    private var heartbeat: RepeatedTask?
    private var lists = ListReassembler()
    private var listBytes = 0
    private(set) var isReady = false
    /// Messages this client sent, and (pairs) how many of them are still in flight.
    var sent: UInt64 = 0
    var inflight = 0
    /// The next sequence number expected from each sender, by sender index.
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

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(
            self.wrapOutboundOut(ClientControl.connect(self.id).frame(from: self.id).wire), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = self.unwrapInboundIn(data)
        guard frame.source == .server else {
            self.delegate?.client(self, received: frame)
            return
        }
        switch try? ServerControl.parse(frame.body) {
        case .connected(let interval)? where !self.isReady:
            self.isReady = true
            let channel = context.channel
            let alive = ClientControl.alive(self.id).frame(from: self.id).wire
            self.heartbeat = context.eventLoop.scheduleRepeatedTask(
                initialDelay: TimeAmount(interval / 2), delay: TimeAmount(interval / 2)
            ) { _ in channel.writeAndFlush(alive, promise: nil) }
            self.delegate?.clientReady(self)
        case .list(let part)?:
            self.listBytes += frame.wire.readableBytes
            if let names = try? self.lists.add(part) {
                self.delegate?.client(self, receivedList: names.count, bytes: self.listBytes)
                self.listBytes = 0
            }
        case .error(let text)?:
            self.delegate?.clientFailed(self, reason: "server error: \(text)")
        case .connected?:
            self.delegate?.clientFailed(self, reason: "a second Connected")
        case .offline?, nil:
            self.delegate?.client(self, received: frame)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.delegate?.clientReadComplete(self)
    }

    /// Queues a frame (call `flush()` after a batch).
    func write(_ bytes: ByteBuffer) {
        self.context?.write(self.wrapOutboundOut(bytes), promise: nil)
    }

    /// Flushes queued frames.
    func flush() {
        self.context?.flush()
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
    }
}
