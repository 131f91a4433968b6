import ChatServerCore
import ChatWire
import NIOCore

/// A test transport of the WebSocket's shape: each chat255 frame travels in a message of its
/// own, here a 2-byte big-endian length and the frame. Its prefix is two handlers: messages in
/// become frame bytes; the protocol handler's writes (several frames in one buffer) become one
/// message per frame. Used on both sides (the server's listener, the test's client).
struct LengthPrefixTransport: ChatTransport {
    var name: String { "length-prefixed" }

    func configure(_ channel: any Channel) throws {
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(MessageDecoder()))
        try channel.pipeline.syncOperations.addHandler(MessageEncoder())
    }

    /// A message in: its frame's bytes on.
    struct MessageDecoder: ByteToMessageDecoder {
        typealias InboundOut = ByteBuffer

        mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
            guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self),
                buffer.readableBytes >= 2 + Int(length)
            else { return .needMoreData }
            buffer.moveReaderIndex(forwardBy: 2)
            guard let message = buffer.readSlice(length: Int(length)) else { return .needMoreData }
            context.fireChannelRead(NIOAny(message))
            return .continue
        }
    }

    /// Frame bytes out: one message per frame.
    final class MessageEncoder: ChannelOutboundHandler {
        typealias OutboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            var frames = self.unwrapOutboundIn(data)
            var messages = context.channel.allocator.buffer(capacity: frames.readableBytes + 16)
            var cutter = FrameCutter()
            while let frame = try? cutter.next(from: &frames) {
                messages.writeInteger(UInt16(frame.wire.readableBytes))
                messages.writeImmutableBuffer(frame.wire)
            }
            context.write(self.wrapOutboundOut(messages), promise: promise)
        }
    }
}
