import NIOCore

/// With metrics on, first in the pipeline: counts the bytes read from and written to the socket
/// (the transport's bytes: TLS records over TLS) and reports them once per read burst and once
/// per flush, never per frame. Not in the pipeline when nobody counts.
final class TrafficCountingHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let observer: any ServerObserver
    private var received = 0
    private var sent = 0

    /// A handler reporting to `observer`.
    init(observer: any ServerObserver) {
        self.observer = observer
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.received += self.unwrapInboundIn(data).readableBytes
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.report()
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        self.sent += self.unwrapOutboundIn(data).readableBytes
        context.write(data, promise: promise)
    }

    func flush(context: ChannelHandlerContext) {
        self.report()
        context.flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.report()
        context.fireChannelInactive()
    }

    private func report() {
        guard self.received > 0 || self.sent > 0 else { return }
        self.observer.socketTraffic(received: self.received, sent: self.sent)
        self.received = 0
        self.sent = 0
    }
}
