import ChatWire
import NIOCore

/// What one connection has to send, gathered over a read burst: frames for other clients
/// (`OutboundBatch`, handed over once per loop), whether replies to its own client wait for a
/// flush, and its online lists (`ListWriter`: a chunk at a time, the latest list first). It
/// decides the lists: which one answers `List` or `List changes`, a newcomer's hold, what a
/// list timer writes when it fires.
///
/// Plain state: the handler does the writing. No write happens inside a mutating access to
/// this value, because a write can call the handler back at once (a write past the pending-bytes
/// limit turns the channel unwritable, and the handler then closes and flushes): the batch is
/// taken out while it is delivered (`takeForwarded`) and given back for reuse after.
struct ClientOutput {
    private var outbound = OutboundBatch()
    /// The last push handed over while its list is still being written: told when the writer
    /// has nothing left to write, when a newer push replaces it, or when the client leaves.
    private var pushInFlight: ListDrain?
    private var lists = ListWriter()
    /// Replies were written to this connection and wait for a flush (in the writer's tail).
    var repliesPending = false

    /// Whether frames for other clients wait to be delivered.
    var hasForwarded: Bool { !self.outbound.isEmpty }

    /// Queues complete frames for another client.
    mutating func forward(_ frames: ByteBuffer, to target: any Recipient) {
        self.outbound.append(frames, to: target)
    }

    /// Takes the frames queued for other clients, to deliver them outside this value.
    mutating func takeForwarded() -> OutboundBatch {
        var batch = OutboundBatch()
        swap(&batch, &self.outbound)
        return batch
    }

    /// Gives a delivered (empty) batch back, so that its storage serves the next burst.
    mutating func giveBack(_ batch: OutboundBatch) {
        if self.outbound.isEmpty { self.outbound = batch }
    }

    /// Offers a pushed list; the chunk to write now, if none is in flight. `drain` is told
    /// once the writer has nothing of it left (at once if the list is not written: the client
    /// has it, or holds it for its `List changes`). A newer push ends the last one's wait here:
    /// the publisher started it only after that one drained or gave up on this client.
    mutating func offerList(_ edition: ListEdition, drain: ListDrain) -> ArraySlice<ByteBuffer>? {
        self.pushInFlight?.finished()
        self.pushInFlight = drain
        let chunk = self.lists.offer(edition)
        self.settleDrain()
        return chunk
    }

    /// Tells the push in flight it drained here if the writer has nothing left to write.
    private mutating func settleDrain() {
        guard !self.lists.isWriting, let drain = self.pushInFlight else { return }
        self.pushInFlight = nil
        drain.finished()
    }

    /// Whether the client asked for change events (`List changes`).
    var receivesChanges: Bool { self.lists.receivesChanges }

    /// Answers `List` with the current list of `publisher` (with change events on: the last
    /// pushed list, versioned, then its changes): at once, or (the client had this same list
    /// less than 100 ms ago) when the spacing allows, by a timer (`ListWriter`).
    mutating func answerList(from publisher: ListPublisher, at now: NIODeadline) -> ListWriter.RequestAnswer {
        self.lists.request(self.currentList(of: publisher), at: now)
    }

    /// Answers `List changes` from the client `name`. A client that asks right behind Connect
    /// is not in the last list pushed yet: its first list is the push that holds it (due within
    /// the usual delay), so that it never sees a list without itself.
    mutating func startChanges(
        from publisher: ListPublisher, for name: ChatName, at now: NIODeadline
    ) -> ListWriter.RequestAnswer {
        let first = !self.lists.receivesChanges
        if first { publisher.changeEventsStarted() }
        let latest = publisher.latestEdition
        guard !first || latest.holds(name) else {
            self.lists.awaitFirstEdition()
            return .covered
        }
        return self.lists.request(.changes(latest), at: now)
    }

    /// The client just came online: how long its first pushed list waits for its
    /// `List changes` (`ListPublisher.newcomerHold`), or `nil`: it does not wait.
    mutating func holdFirstList(for publisher: ListPublisher) -> TimeAmount? {
        guard let hold = publisher.newcomerHold else { return nil }
        self.lists.holdFirstList()
        return hold
    }

    /// A list timer set by a `ListWriter.RequestAnswer.later` or `holdFirstList`.
    enum ListTimer {
        /// An answer to `List` put off for its spacing.
        case owedAnswer
        /// The end of a newcomer's hold.
        case newcomerHold
    }

    /// `timer` fired at `now`: the chunk to write now, if any. An owed answer is the current
    /// list then; at the end of a hold that still stood (no `List changes` came), the list that
    /// waited.
    mutating func listTimerFired(
        _ timer: ListTimer, publisher: ListPublisher, at now: NIODeadline
    ) -> ArraySlice<ByteBuffer>? {
        switch timer {
        case .owedAnswer:
            return self.lists.owedAnswerDue(self.currentList(of: publisher), at: now)
        case .newcomerHold:
            guard self.lists.holdsFirstList else { return nil }
            publisher.newcomerDidNotAsk()
            return self.lists.releaseHold()
        }
    }

    /// The client leaves: its change events end, and the push in flight needs it no more.
    mutating func left(_ publisher: ListPublisher) {
        if self.lists.receivesChanges { publisher.changeEventsEnded() }
        self.pushInFlight?.finished()
        self.pushInFlight = nil
    }

    /// The list a request is answered with, as this client receives lists.
    private func currentList(of publisher: ListPublisher) -> ListWriter.Current {
        self.lists.receivesChanges ? .changes(publisher.latestEdition) : .full(publisher.currentList())
    }

    /// The list chunk in flight reached the socket at `now`; the next one to write, if any.
    mutating func listChunkWritten(at now: @autoclosure () -> NIODeadline) -> ArraySlice<ByteBuffer>? {
        let next = self.lists.written(at: now())
        self.settleDrain()
        return next
    }
}
