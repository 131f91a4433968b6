public import ChatWire
public import NIOCore

/// A client connected to this process: its id and its channel. The only type that delivers to
/// a `Channel`; kept small, as there is one per online client and idle clients are most of the
/// server's memory.
public final class LocalRecipient: Recipient, Sender {
    /// The client's id.
    public let name: ChatName
    /// Its connection.
    let channel: any Channel

    init(name: ChatName, channel: any Channel) {
        self.name = name
        self.channel = channel
    }

    /// The channel's loop.
    public var eventLoop: any EventLoop { self.channel.eventLoop }

    /// Writes and flushes the frames, unless the connection has closed.
    public func deliver(_ frames: ByteBuffer) -> Bool {
        guard self.channel.isActive else { return false }
        self.channel.writeAndFlush(frames, promise: nil)
        return true
    }

    /// Writes the bodies behind this client's header, as one buffer, and flushes.
    public func sendFromServer(_ bodies: [ByteBuffer]) {
        self.channel.eventLoop.preconditionInEventLoop()
        self.channel.writeAndFlush(
            ServerBodies.frames(to: self.name, bodies, allocator: self.channel.allocator), promise: nil)
    }

    /// Answers `Offline` for the direct messages among `frames` (this client sent them all).
    public func answerOffline(for frames: ByteBuffer) -> Int {
        let bodies = ServerBodies.offlineAnswers(to: frames)
        guard !bodies.isEmpty else { return 0 }
        self.channel.eventLoop.execute { self.sendFromServer(bodies) }
        return bodies.count
    }

    /// Hands the list to the connection's handler, which paces it (`ListWriter`) and tells
    /// `drain` when it has nothing of it left to write (at once if the connection is closed).
    func offerList(_ edition: ListEdition, drain: ListDrain) {
        guard self.channel.isActive else { return drain.finished() }
        self.channel.pipeline.syncOperations.fireUserInboundEventTriggered(
            OnlineListEvent(edition: edition, drain: drain))
    }

    /// Closes the connection for `reason` (the client is told, as the reason says), from any thread.
    func close(for reason: CloseReason) {
        self.channel.pipeline.fireUserInboundEventTriggered(CloseRequest(reason: reason))
    }

    /// Tells the connection that the server is shutting down (from any thread).
    func shutdown() {
        self.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
    }

    /// Completes when the connection has closed.
    var closeFuture: EventLoopFuture<Void> { self.channel.closeFuture }
}
