import ChatWire
import NIOCore
import NIOHTTP1
import NIOTLS
import NIOWebSocket

/// chat255 over WebSocket, in front of the protocol handler: each binary message carries
/// exactly one frame, the same bytes as on TCP (NUL included), both ways.
///
/// In: a message is put together from its fragments (at most 256 bytes in all) and handed on as
/// one read of chat255 bytes. A text message, a message over 256 bytes, or one that is not
/// exactly one frame is a protocol error: the protocol handler is asked to close
/// (`CloseRequest`), which says `Error <why>` as it does for a malformed frame on TCP. Pings are
/// answered; a close is answered and the connection closed.
///
/// Out: the protocol handler writes runs of whole frames; each frame becomes one binary message.
/// Closing sends a WebSocket close first.
///
/// Until the upgrade (`upgraded()`), the connection speaks HTTP (`WebPageHandler`, in front):
/// nothing the protocol handler writes can reach the peer, and it is dropped.
final class WebSocketFrameAdapter: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = WebSocketFrame

    private var isUpgraded = false
    /// A message whose last fragment has not come yet.
    private var message: ByteBuffer?
    /// A close frame was sent.
    private var closeSent = false
    /// A broken message was refused: the connection is closing.
    private var broken = false
    /// The last frame written: an empty write (the protocol handler's "everything is written")
    /// completes with it.
    private var lastWrite: EventLoopFuture<Void>?

    /// The upgrade completed: frames flow from now on, and the protocol handler is told.
    func upgraded(context: ChannelHandlerContext) {
        self.isUpgraded = true
        context.fireUserInboundEventTriggered(TransportReady())
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = self.unwrapInboundIn(data)
        switch frame.opcode {
        case .binary, .continuation:
            self.received(frame, context: context)
        case .text:
            guard !self.broken else { return }
            self.refuse("text messages are not chat255 frames: send each frame as one binary message", context: context)
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
            context.writeAndFlush(self.wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            self.sendClose(context: context, code: .normalClosure)
            context.close(promise: nil)
        default:
            break  // pongs, and reserved opcodes a peer has no business sending
        }
    }

    /// A data frame: one fragment of a message, or all of it.
    private func received(_ frame: WebSocketFrame, context: ChannelHandlerContext) {
        guard !self.closeSent, !self.broken else { return }
        if frame.opcode == .continuation, self.message == nil {
            self.refuse("a continuation without a message to continue", context: context)
            return
        }
        if frame.opcode == .binary, self.message != nil {
            self.refuse("a new message before the last one ended", context: context)
            return
        }
        var data = frame.unmaskedData
        var message = self.message ?? context.channel.allocator.buffer(capacity: data.readableBytes)
        guard message.readableBytes + data.readableBytes <= Wire.maxFrameLength else {
            self.refuse("a message over \(Wire.maxFrameLength) bytes is not a chat255 frame", context: context)
            return
        }
        message.writeBuffer(&data)
        guard frame.fin else {
            self.message = message
            return
        }
        self.message = nil
        // The frame's own rules (names, padding, the NUL) are the protocol handler's, as on TCP;
        // here, only that the message holds one whole frame and nothing else.
        do {
            guard let header = try FrameDecoder.header(of: message) else {
                self.refuse("a message must carry one whole chat255 frame", context: context)
                return
            }
            guard header.length == message.readableBytes else {
                self.refuse("a message must carry exactly one chat255 frame", context: context)
                return
            }
        } catch .tooShort(0) {
            // A leading NUL: on TCP, padding between frames; here, not one frame.
            self.refuse("a message must carry exactly one chat255 frame", context: context)
            return
        } catch {
            // A frame that breaks a rule: the protocol handler's scanner says which.
        }
        context.fireChannelRead(self.wrapInboundOut(message))
    }

    /// A broken message: the protocol handler says why (`Error`) and closes; nothing read after
    /// it is handed on.
    private func refuse(_ why: String, context: ChannelHandlerContext) {
        self.message = nil
        self.broken = true
        context.fireUserInboundEventTriggered(CloseRequest(reason: .badMessage(why)))
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // Over TLS, the handshake is only the first half of the set-up: the upgrade says when
        // the transport is ready.
        if case TLSUserEvent.handshakeCompleted = event, !self.isUpgraded { return }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !self.isUpgraded, error is HTTPParserError {
            // A broken HTTP request: answered 400 in front (`HTTPServerProtocolErrorHandler`).
            context.close(promise: nil)
            return
        }
        if let error = error as? NIOWebSocketError, self.isUpgraded, !self.closeSent, !self.broken {
            // The decoder refused a frame: over 256 bytes (its limit), or broken framing.
            let why =
                error == .invalidFrameLength
                ? "a message over \(Wire.maxFrameLength) bytes is not a chat255 frame" : "a broken WebSocket frame"
            self.refuse(why, context: context)
            return
        }
        context.fireErrorCaught(error)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var bytes = self.unwrapOutboundIn(data)
        guard self.isUpgraded, !self.closeSent else {
            promise?.succeed()  // nothing can reach the peer before the upgrade
            return
        }
        guard bytes.readableBytes > 0 else {
            // "Everything before this is written": so it is when the last frame is.
            if let promise { self.lastWrite.map { $0.cascade(to: promise) } ?? promise.succeed() }
            return
        }
        while bytes.readableBytes > 0 {
            let length = (try? FrameDecoder.header(of: bytes))??.length ?? bytes.readableBytes
            guard let frame = bytes.readSlice(length: min(length, bytes.readableBytes)) else { break }
            let last = bytes.readableBytes == 0
            let write = context.write(
                self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: .binary, data: frame)))
            if last {
                self.lastWrite = write
                if let promise { write.cascade(to: promise) }
            }
        }
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if mode == .all { self.sendClose(context: context, code: .normalClosure) }
        context.close(mode: mode, promise: promise)
    }

    /// Sends a WebSocket close (once), flushed, without waiting for it.
    private func sendClose(context: ChannelHandlerContext, code: WebSocketErrorCode) {
        guard self.isUpgraded, !self.closeSent else { return }
        self.closeSent = true
        var data = context.channel.allocator.buffer(capacity: 2)
        data.write(webSocketErrorCode: code)
        context.writeAndFlush(
            self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: data)), promise: nil)
    }
}
