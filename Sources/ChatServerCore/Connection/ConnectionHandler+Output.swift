import ChatWire
import Logging
import NIOCore

/// Output to this client and to others: replies flushed once per burst, forwarded frames
/// handed to their loops, and the log's metadata.
extension ConnectionHandler {
    /// Writes server frames to this client (its id, or the reply address before it has one);
    /// flushed at the end of the read burst.
    func reply(_ bodies: [ByteBuffer], context: ChannelHandlerContext) {
        let bytes = ServerBodies.frames(to: self.machine.replyAddress, bodies, allocator: context.channel.allocator)
        context.write(self.wrapOutboundOut(bytes), promise: nil)
        self.output.repliesPending = true
    }

    /// Delivers what was forwarded, then flushes the replies.
    func flushPending(context: ChannelHandlerContext) {
        self.deliverForwarded(on: context.eventLoop, sender: self.recipient)
        if self.output.repliesPending {
            self.output.repliesPending = false
            context.flush()
        }
    }

    /// Hands the frames for other clients to their loops (a target gone meanwhile is answered
    /// `Offline` to `sender`); the batch is out of `output` while it is delivered.
    func deliverForwarded(on loop: any EventLoop, sender: LocalRecipient?) {
        guard self.output.hasForwarded else { return }
        var batch = self.output.takeForwarded()
        batch.deliver(on: loop, sender: sender, observer: self.shared.observer)
        self.output.giveBack(batch)
    }

    /// `extra` plus who this connection is (peer address, client id).
    func metadata(_ extra: Logger.Metadata = [:]) -> Logger.Metadata {
        var metadata = extra
        if let peer = self.context?.remoteAddress { metadata["peer"] = "\(peer)" }
        if let name = self.recipient?.name { metadata["client"] = "\(name)" }
        return metadata
    }
}
