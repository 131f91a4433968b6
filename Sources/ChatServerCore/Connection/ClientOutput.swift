import NIOCore

/// What one connection has to send, gathered over a read burst: frames for other clients
/// (`OutboundBatch`, handed over once per loop), whether replies to its own client wait for a
/// flush, and its online lists (`ListWriter`: a chunk at a time, the latest list first).
///
/// Plain state: the handler does the writing. No write happens inside a mutating access to
/// this value, because a write can call the handler back at once (a write past the pending-bytes
/// limit turns the channel unwritable, and the handler then closes and flushes): the batch is
/// taken out while it is delivered (`takeForwarded`) and given back for reuse after.
struct ClientOutput {
    private var outbound = OutboundBatch()
    private var lists = ListWriter()
    /// Replies were written to this connection and wait for a flush.
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

    /// Offers a pushed list; the chunk to write now, if none is in flight.
    mutating func offerList(_ edition: ListEdition) -> ArraySlice<ByteBuffer>? {
        self.lists.offer(edition)
    }

    /// The client just came online: its first pushed list waits for `releaseHold` (`ListWriter`).
    mutating func holdFirstList() {
        self.lists.holdFirstList()
    }

    /// Whether the newcomer's first list is still held.
    var holdsFirstList: Bool { self.lists.holdsFirstList }

    /// The newcomer's hold is over; the chunk to write now, if any.
    mutating func releaseHold() -> ArraySlice<ByteBuffer>? {
        self.lists.releaseHold()
    }

    /// Whether the client asked for change events (`List changes`).
    var receivesChanges: Bool { self.lists.receivesChanges }

    /// Change events asked for before the last list pushed holds the client (`ListWriter`).
    mutating func awaitFirstEdition() {
        self.lists.awaitFirstEdition()
    }

    /// Answers `List changes`, or `List` with change events on (`ListWriter.requestChanges`).
    mutating func requestChanges(_ edition: ListEdition, at now: NIODeadline) -> ListWriter.RequestAnswer {
        self.lists.requestChanges(edition, at: now)
    }

    /// An answer put off for its spacing is due, change events on.
    mutating func owedChangesDue(_ edition: ListEdition, at now: NIODeadline) -> ArraySlice<ByteBuffer>? {
        self.lists.owedChangesDue(edition, at: now)
    }

    /// Answers a `List` request with `parts`, the current list (`ListWriter.request`).
    mutating func requestList(_ parts: [ByteBuffer], at now: NIODeadline) -> ListWriter.RequestAnswer {
        self.lists.request(parts, at: now)
    }

    /// An answer to `List` put off for its spacing is due; the chunk to write now, if any.
    mutating func owedListDue(_ parts: [ByteBuffer], at now: NIODeadline) -> ArraySlice<ByteBuffer>? {
        self.lists.owedAnswerDue(parts, at: now)
    }

    /// The list chunk in flight reached the socket at `now`; the next one to write, if any.
    mutating func listChunkWritten(at now: @autoclosure () -> NIODeadline) -> ArraySlice<ByteBuffer>? {
        self.lists.written(at: now())
    }
}
