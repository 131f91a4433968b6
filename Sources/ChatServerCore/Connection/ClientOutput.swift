import ChatWire
import NIOCore

/// What one connection sends, gathered over a read burst: replies to its own client (written
/// as they come, flushed once at the end), frames for other clients (`OutboundBatch`, handed
/// over once per loop), and the online lists (`ListWriter`: a chunk at a time, the latest list
/// first). A value inside the handler: no object of its own per connection.
struct ClientOutput {
    private var outbound = OutboundBatch()
    private var lists = ListWriter()
    private var repliesPending = false

    /// Queues complete frames for another client, delivered by `flush`.
    mutating func forward(_ frames: ByteBuffer, to target: any Recipient) {
        self.outbound.append(frames, to: target)
    }

    /// Writes frames from `-SERVER-` with these bodies to `address` on this connection; they
    /// are flushed by `flush`.
    mutating func reply(_ bodies: [ByteBuffer], to address: ChatName, context: ChannelHandlerContext) {
        let bytes = ServerBodies.frames(to: address, bodies, allocator: context.channel.allocator)
        context.write(NIOAny(bytes), promise: nil)
        self.repliesPending = true
    }

    /// Offers a list (its part bodies); the chunk to write now, if none is in flight.
    mutating func offerList(_ parts: [ByteBuffer]) -> ArraySlice<ByteBuffer>? {
        self.lists.offer(parts)
    }

    /// The list chunk in flight reached the socket; the next one to write, if any.
    mutating func listChunkWritten() -> ArraySlice<ByteBuffer>? {
        self.lists.written()
    }

    /// Delivers what was forwarded, then flushes the replies.
    mutating func flush(context: ChannelHandlerContext, sender: (any Recipient)?, shared: ServerShared) {
        self.deliverForwarded(on: context.eventLoop, sender: sender, shared: shared)
        if self.repliesPending {
            self.repliesPending = false
            context.flush()
        }
    }

    /// Hands what was forwarded to the targets' loops; a target gone meanwhile is answered
    /// `Offline` to `sender`.
    mutating func deliverForwarded(on loop: any EventLoop, sender: (any Recipient)?, shared: ServerShared) {
        guard !self.outbound.isEmpty else { return }
        self.outbound.deliver(on: loop, sender: sender, shared: shared)
    }
}
