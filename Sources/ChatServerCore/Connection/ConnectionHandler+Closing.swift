import ChatWire
import NIOCore

/// Leaving and closing: out of presence and the tracker, the `Error` written before the close.
extension ConnectionHandler {
    /// The client leaves: out of presence (the new list pushed) if it was in it, out of the tracker.
    func leave(_ reason: CloseReason, context: ChannelHandlerContext) {
        self.settle(context: context)
        self.output.left(self.shared.publisher)
        if let recipient = self.recipient, self.shared.presence.remove(recipient) {
            self.logger.info("client left", metadata: self.metadata(["reason": "\(reason)"]))
            self.shared.publisher.changed()
            self.shared.observer.left(recipient.name, reason: reason)
        } else {
            self.shared.observer.closedBeforeJoining(reason: reason)
        }
    }

    /// Takes the connection out of the tracker: it is online, or closed.
    func settle(context: ChannelHandlerContext) {
        self.shared.connections.settled(context.channel)
    }

    /// Logs why, tells the client (if the reason has an `Error`) and closes.
    func close(for reason: CloseReason, context: ChannelHandlerContext) {
        if let line = reason.logLine {
            self.logger.log(level: line.level, "\(line.message)", metadata: self.metadata([line.key: "\(reason)"]))
        }
        if let text = reason.errorText {
            self.reply([ServerBodies.encode(.error(text))], context: context)
        }
        self.flushPending(context: context)
        guard reason.errorText != nil, !reason.closesAtOnce, !self.handshaking else {
            // Flushing wrote what the socket takes at once, which a small frame always fits
            // unless the client stopped reading (`CloseReason.closesAtOnce` says when not to
            // wait). Before the TLS handshake completes nothing can reach the peer: a connection
            // that never starts it is closed at the connect timeout, not left open.
            context.close(promise: nil)
            return
        }
        // An empty write completes once everything queued before it has been written.
        let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(self.wrapOutboundOut(ByteBuffer())).whenComplete { _ in
            loopBoundContext.value.close(promise: nil)
        }
    }
}
