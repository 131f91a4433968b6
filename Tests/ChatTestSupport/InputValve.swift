import NIOConcurrencyHelpers
public import NIOCore

/// The first handler of a test connection, next to the socket: it passes the bytes read on
/// until it is shut, then drops them, so that the handlers behind it (TLS) never see what the
/// server sends; and it closes the socket beneath them. A peer that never answers TLS's
/// close_notify, and leaves without a close handshake of its own.
public final class InputValve: ChannelInboundHandler, Sendable {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer

    private let isShut = NIOLockedValueBox(false)
    private let context = NIOLockedValueBox<NIOLoopBound<ChannelHandlerContext>?>(nil)

    /// An open valve.
    public init() {}

    /// Keeps the context, to close the socket beneath the others.
    public func handlerAdded(context: ChannelHandlerContext) {
        self.context.withLockedValue { $0 = NIOLoopBound(context, eventLoop: context.eventLoop) }
    }

    /// Passes the bytes on, or drops them once shut.
    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.isShut.withLockedValue({ $0 }) else { return }
        context.fireChannelRead(data)
    }

    /// From now on, everything the server sends is read and dropped.
    public func shut() {
        self.isShut.withLockedValue { $0 = true }
    }

    /// Closes the socket at once, below the other handlers (no TLS close handshake).
    public func closeSocket(on channel: any Channel) async {
        guard let bound = self.context.withLockedValue({ $0 }) else { return }
        try? await channel.eventLoop.submit { bound.value.close(promise: nil) }.get()
        try? await channel.closeFuture.get()
    }
}
