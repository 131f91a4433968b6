import ChatWire
import NIOCore

/// The online lists this client is sent: pushes, answers to `List`, a newcomer's hold.
extension ConnectionHandler {
    /// Hands a pushed list over; writes its first chunk if none is in flight.
    func offerList(_ edition: ListEdition, context: ChannelHandlerContext) {
        guard self.machine.isOnline, let chunk = self.output.offerList(edition) else { return }
        self.writeList(chunk, context: context)
    }

    /// Answers a `List` request with the current list (with change events, `changes`: the
    /// last pushed list, versioned, then its changes): at once, or (the client had this same
    /// list less than 100 ms ago) when the spacing allows, by a timer (`ListWriter`).
    func answerList(changes: Bool, context: ChannelHandlerContext) {
        let now = self.shared.clock.now
        let answer =
            changes
            ? self.output.requestChanges(self.shared.publisher.latestEdition, at: now)
            : self.output.requestList(self.shared.publisher.currentList(), at: now)
        self.carryOut(answer, context: context)
    }

    /// Writes a list chunk now, or sets the timer for a list owed later.
    func carryOut(_ answer: ListWriter.RequestAnswer, context: ChannelHandlerContext) {
        switch answer {
        case .write(let chunk):
            self.writeList(chunk, context: context)
        case .covered:
            break
        case .later(let due):
            let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
            self.shared.clock.schedule(at: due, on: context.eventLoop) { handler.value.owedListDue() }
        }
    }

    /// A newcomer's first list may wait for its `List changes` (`ListPublisher.newcomerHold`;
    /// clients send it once `Connected` reached them): a full list is not begun for nothing.
    func holdFirstList(context: ChannelHandlerContext) {
        guard let hold = self.shared.publisher.newcomerHold else { return }
        self.output.holdFirstList()
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        self.shared.clock.schedule(at: self.shared.clock.now + hold, on: context.eventLoop) {
            handler.value.holdEnded()
        }
    }

    /// The newcomer's hold is over without `List changes`: a list that waited goes out.
    func holdEnded() {
        guard let context = self.context, self.machine.isOnline, self.output.holdsFirstList else { return }
        self.shared.publisher.newcomerDidNotAsk()
        if let chunk = self.output.releaseHold() { self.writeList(chunk, context: context) }
    }

    /// The answer to `List` put off for its spacing is due.
    func owedListDue() {
        guard let context = self.context, self.machine.isOnline else { return }
        let now = self.shared.clock.now
        let chunk =
            self.output.receivesChanges
            ? self.output.owedChangesDue(self.shared.publisher.latestEdition, at: now)
            : self.output.owedListDue(self.shared.publisher.currentList(), at: now)
        if let chunk { self.writeList(chunk, context: context) }
    }

    /// Writes one chunk of list parts as one buffer (a few KB: one write instead of two per
    /// part); when it reached the socket, the next one.
    func writeList(_ chunk: ArraySlice<ByteBuffer>, context: ChannelHandlerContext) {
        let bytes = ServerBodies.frames(to: self.machine.replyAddress, chunk, allocator: context.channel.allocator)
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(self.wrapOutboundOut(bytes), promise: written)
        written.futureResult.assumeIsolated().whenSuccess {
            if let next = self.output.listChunkWritten(at: self.shared.clock.now) {
                self.writeList(next, context: context)
            }
        }
    }
}
