import NIOCore

/// Sends one connection its online lists, a few parts at a time, latest list first come.
///
/// A list of 10,000 ids is some 400 parts; pushing every list to every client in full, however
/// fast lists change, would queue gigabytes for clients that read slower than lists change.
/// So each connection has at most one chunk of parts in flight; the next chunk goes when the
/// previous one reached the socket. A list offered while another is being written waits, and a
/// newer one replaces it (conflation): a client always ends with the latest list, the parts of
/// one list are never interleaved with another's, and memory stays one chunk per client. A
/// client of change events is sent every version's changes instead, queued in order up to what
/// the whole list weighs (then the whole list replaces them); behind a whole list still on its
/// way they queue up to `changesBehindWhole` times that, so that no second whole list follows
/// the one being sent.
///
/// A list is known by its parts' storage: the server encodes each version of the online list
/// once (`OnlineListCache`) and hands every client the same array, so the same array is the
/// same list. A list the client already has, or is being sent, is not sent again for a push,
/// and a `List` request for it is answered at most once per `repeatSpacing` (a client asking
/// thousands of times a second gets ten answers a second, each the current list).
struct ListWriter {
    /// Parts written per chunk.
    static let chunkParts = 64
    /// The least time between two answers to `List` that carry the same list.
    static let repeatSpacing = TimeAmount.milliseconds(100)
    /// Behind a whole list being written, changes queue up to this many times the whole list's
    /// bytes before a whole list replaces them (a client that stopped reading mid-list).
    static let changesBehindWhole = 4

    /// The current list, as a request is answered: full `List k/n` parts, or (change events on)
    /// the latest edition.
    enum Current {
        /// The `List k/n` bodies of the current list.
        case full([ByteBuffer])
        /// The last list pushed, answered as `Online` parts, then its changes.
        case changes(ListEdition)
    }

    /// What to do about a `List` request.
    enum RequestAnswer: Equatable {
        /// Write this chunk now.
        case write(ArraySlice<ByteBuffer>)
        /// Nothing: the list is already on its way, or an answer is already owed.
        case covered
        /// The client got this same list less than `repeatSpacing` ago: answer it at this time
        /// (`owedAnswerDue`).
        case later(NIODeadline)
    }

    // The stored properties are ordered so that the Bools share the tail of `feedVersion`
    // (`ConnectionHandlerLayoutTests`: one malloc chunk per idle connection).

    /// The latest list offered and not yet begun. Whatever is put here counts as a whole list
    /// until `waitingIsChanges` is set after it (only queued changes set it).
    private var waiting: [ByteBuffer]? {
        didSet { self.waitingIsChanges = false }
    }
    /// The list being written (or, once `next` reached its end, the last one written) and the
    /// index of its next part.
    private var current: [ByteBuffer] = []
    private var next = 0
    /// When `current` was written to its end.
    private var finishedAt = NIODeadline.uptimeNanoseconds(0)
    /// With change events on: the version the client holds once what is queued is written;
    /// `nil` while it receives full lists.
    private(set) var feedVersion: UInt64?
    /// Whether a chunk is on its way to the socket.
    private(set) var isWriting = false
    /// A request waits for its spacing, and a timer will answer it.
    private(set) var owesAnswer = false
    /// Whether `waiting` is queued changes (not a whole list).
    private var waitingIsChanges = false
    /// Whether `current` is queued changes (not a whole list).
    private var currentIsChanges = false
    /// Change events asked for by a client not yet in the last list pushed: its first list is
    /// the next edition, whole (so that it never sees a list without itself).
    private(set) var awaitsFirstEdition = false
    /// A newcomer's pushed lists wait (the latest only) instead of being written, until
    /// `releaseHold` or a request: clients ask for change events once `Connected` reached
    /// them, a round trip after it, and a full list begun meanwhile would be sent for nothing.
    private(set) var holdsFirstList = false

    /// Whether the client asked for change events.
    var receivesChanges: Bool { self.feedVersion != nil || self.awaitsFirstEdition }

    /// Change events asked for by a client the last list pushed does not hold yet: nothing now,
    /// the whole next edition (`Online`) when it is pushed.
    mutating func awaitFirstEdition() {
        guard self.feedVersion == nil else { return }
        self.dropFullList()
        self.awaitsFirstEdition = true
    }

    /// The client just came online: hold pushed lists until `releaseHold` (at most
    /// `ListPublisher.newcomerHold` later) or until it asks for a list or for change events.
    mutating func holdFirstList() {
        self.holdsFirstList = true
    }

    /// The hold is over: the chunk to write now, if a list waits and none is in flight.
    mutating func releaseHold() -> ArraySlice<ByteBuffer>? {
        guard self.holdsFirstList else { return nil }
        self.holdsFirstList = false
        return self.isWriting ? nil : self.take()
    }

    /// The client switches from full lists to change events (it asks once `Connected` has
    /// reached it, so a push may have begun meanwhile): the rest of a full list being written
    /// is not sent, nor one waiting. The chunk in flight still goes; the client drops the parts
    /// it holds when its `Online` list starts (docs/PROTOCOL.md, "Change events").
    private mutating func dropFullList() {
        self.waiting = nil
        self.next = self.current.count
        self.holdsFirstList = false
    }

    /// Offers a pushed list (its part bodies); returns the chunk to write now if nothing is in
    /// flight. A list the client has, or is being sent, is not offered again.
    mutating func offer(_ parts: [ByteBuffer]) -> ArraySlice<ByteBuffer>? {
        if let waiting = self.waiting, Self.same(waiting, parts) { return nil }
        if Self.same(self.current, parts) { return nil }
        self.waiting = parts
        return self.isWriting || self.holdsFirstList ? nil : self.take()
    }

    /// Offers a pushed edition: its full list, or, with change events on, its changes queued
    /// behind those not written yet (never skipped: the client applies them in order). Changes
    /// that would queue more bytes than the whole list are replaced by the whole list.
    mutating func offer(_ edition: ListEdition) -> ArraySlice<ByteBuffer>? {
        if self.awaitsFirstEdition {
            self.awaitsFirstEdition = false
            self.feedVersion = edition.version
            self.waiting = edition.fullParts()
            return self.isWriting ? nil : self.take()
        }
        guard let version = self.feedVersion else { return self.offer(edition.listParts) }
        guard edition.version > version else { return nil }
        if edition.previousVersion == version, !edition.changeParts.isEmpty {
            let queued = (self.waiting ?? []) + edition.changeParts
            let wholeOnItsWay = !self.currentIsChanges && (self.isWriting || self.next < self.current.count)
            let room = edition.listBytes * (wholeOnItsWay ? Self.changesBehindWhole : 1)
            let onlyChanges = self.waiting == nil || self.waitingIsChanges
            if onlyChanges, Self.bytes(queued) <= room {
                self.waiting = queued
                self.waitingIsChanges = true
            } else {
                self.waiting = edition.fullParts()
            }
        } else {
            self.waiting = edition.fullParts()
        }
        self.feedVersion = edition.version
        return self.isWriting ? nil : self.take()
    }

    /// A `List` request (or `List changes`) at `now`, `list` the current list then.
    mutating func request(_ list: Current, at now: NIODeadline) -> RequestAnswer {
        let parts = self.parts(of: list)
        let held = self.holdsFirstList
        self.holdsFirstList = false
        if let waiting = self.waiting, Self.same(waiting, parts) {
            // Waiting behind the chunk in flight: on its way. Held for a newcomer: written now.
            guard held, !self.isWriting else { return .covered }
            return self.take().map { .write($0) } ?? .covered
        }
        if Self.same(self.current, parts) {
            // Being written: the answer is on its way. Written already: again, but spaced.
            if self.isWriting || self.owesAnswer { return .covered }
            let due = self.finishedAt + Self.repeatSpacing
            guard now >= due else {
                self.owesAnswer = true
                return .later(due)
            }
            self.current = []
            self.next = 0
        }
        self.waiting = parts
        self.owesAnswer = false  // this answer is the one owed, if any (its timer finds nothing)
        return self.isWriting ? .covered : self.take().map { .write($0) } ?? .covered
    }

    /// The owed answer's time came, with `list` the current list then: the chunk to write now,
    /// if any. A list written to its end since the request (a push) was its answer.
    mutating func owedAnswerDue(_ list: Current, at now: NIODeadline) -> ArraySlice<ByteBuffer>? {
        guard self.owesAnswer else { return nil }
        self.owesAnswer = false
        let parts = self.parts(of: list)
        if let waiting = self.waiting, Self.same(waiting, parts) { return nil }
        if Self.same(self.current, parts) {
            if self.isWriting || now < self.finishedAt + Self.repeatSpacing { return nil }
            self.current = []
            self.next = 0
        }
        self.waiting = parts
        return self.isWriting ? nil : self.take()
    }

    /// The parts that answer a request for `list`. For change events, the whole list of the
    /// edition as `Online` parts, its changes following: a client switching to them drops the
    /// full list it was being sent, and holds this version once the answer is written.
    private mutating func parts(of list: Current) -> [ByteBuffer] {
        switch list {
        case .full(let parts):
            return parts
        case .changes(let edition):
            if self.feedVersion == nil, !self.awaitsFirstEdition { self.dropFullList() }
            self.awaitsFirstEdition = false
            self.feedVersion = max(self.feedVersion ?? 0, edition.version)
            return edition.fullParts()
        }
    }

    /// The chunk in flight reached the socket at `now`; returns the next chunk to write, if any.
    /// (`now` is read only when the list is finished: one clock read per list, not per chunk.)
    mutating func written(at now: @autoclosure () -> NIODeadline) -> ArraySlice<ByteBuffer>? {
        self.isWriting = false
        if self.next >= self.current.count { self.finishedAt = now() }
        return self.take()
    }

    private mutating func take() -> ArraySlice<ByteBuffer>? {
        if self.next >= self.current.count {
            guard let waiting = self.waiting else { return nil }
            self.current = waiting
            self.currentIsChanges = self.waitingIsChanges
            self.waiting = nil
            self.next = 0
        }
        let end = min(self.next + Self.chunkParts, self.current.count)
        defer { self.next = end }
        self.isWriting = true
        return self.current[self.next..<end]
    }

    /// The bytes of some part bodies.
    private static func bytes(_ parts: [ByteBuffer]) -> Int {
        parts.reduce(0) { $0 + $1.readableBytes }
    }

    /// Whether two part arrays are the same list: the same storage (see above).
    private static func same(_ first: [ByteBuffer], _ second: [ByteBuffer]) -> Bool {
        guard !first.isEmpty, first.count == second.count else { return false }
        return first.withUnsafeBufferPointer { one in
            second.withUnsafeBufferPointer { other in one.baseAddress == other.baseAddress }
        }
    }
}
