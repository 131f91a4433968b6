import ChatWire
import NIOCore

/// The online lists this client is sent. What to send and when is `ClientOutput`'s (and its
/// `ListWriter`'s) decision; this writes the chunks it returns and runs its timers.
extension ConnectionHandler {
    /// Hands a pushed list over; writes its first chunk if none is in flight.
    func offerList(_ edition: ListEdition, drain: ListDrain, context: ChannelHandlerContext) {
        guard self.machine.isOnline else { return drain.finished() }
        guard let chunk = self.output.offerList(edition, drain: drain) else { return }
        self.writeList(chunk, context: context)
    }

    /// Writes a list chunk now, or sets the timer for a list owed later.
    func carryOut(_ answer: ListWriter.RequestAnswer, context: ChannelHandlerContext) {
        switch answer {
        case .write(let chunk):
            self.writeList(chunk, context: context)
        case .covered:
            break
        case .later(let due):
            self.listTimer(.owedAnswer, at: due, context: context)
        }
    }

    /// A newcomer's first list may wait for its `List changes` (`ListPublisher.newcomerHold`):
    /// a full list is not begun for nothing.
    func holdFirstList(context: ChannelHandlerContext) {
        guard let hold = self.output.holdFirstList(for: self.shared.publisher) else { return }
        self.listTimer(.newcomerHold, at: self.shared.clock.now + hold, context: context)
    }

    /// At `due`, writes what `ClientOutput` decides when `timer` fires (if the client is still online).
    private func listTimer(_ timer: ClientOutput.ListTimer, at due: NIODeadline, context: ChannelHandlerContext) {
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        self.shared.clock.schedule(at: due, on: context.eventLoop) {
            let handler = handler.value
            guard let context = handler.context, handler.machine.isOnline,
                let chunk = handler.output.listTimerFired(
                    timer, publisher: handler.shared.publisher, at: handler.shared.clock.now)
            else { return }
            handler.writeList(chunk, context: context)
        }
    }

    /// Writes one chunk of list parts as one buffer (a few KB: one write instead of two per
    /// part); when it reached the socket, the next one.
    func writeList(_ chunk: ArraySlice<ByteBuffer>, context: ChannelHandlerContext) {
        let bytes = ServerBodies.frames(to: self.machine.replyAddress, chunk, allocator: context.channel.allocator)
        self.shared.observer.wroteList(bytes: bytes.readableBytes)
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(self.wrapOutboundOut(bytes), promise: written)
        written.futureResult.assumeIsolated().whenSuccess {
            if let next = self.output.listChunkWritten(at: self.shared.clock.now) {
                self.writeList(next, context: context)
            }
        }
    }
}
