import ChatWire
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Synchronization

/// Pushes the online list to every online client after each change of the online set.
///
/// Coalescing (`ListPushSchedule`): a push waits until the online set has been quiet for the
/// quiet period (20 ms by default), but while changes keep coming no longer than the maximum
/// delay (100 ms) after the first change it carries, or longer for a costly push (six times
/// its writing time at the rate pushes were measured to drain). One push is in flight at a
/// time: each recipient reports when it has written it (`ListDrain`), and the next push waits
/// for all of them, or for the bulk and as long again for the rest (a client that does not
/// read), or at most `drainLimit`. A single join is told to everyone in about 20 ms; a storm of
/// joins rides along in a handful of pushes. The push takes the recipients from
/// presence, the list encoded once (`OnlineListCache`), makes the next `ListEdition` (with the
/// changes from the last one), and hands each event loop one task that offers the edition to
/// each of its recipients (a connection's `ListWriter` writes it behind the client's own
/// header: the full list, conflated for a slow reader, or the changes for a client that asked). Pushes are serialised (one
/// timer at a time, on one loop, each push enqueued in order on every loop), so a newer list
/// never arrives before an older one.
///
/// Time is the server's `ServerClock`: tests move it by hand.
final class ListPublisher: Sendable {
    private let presence: any Presence
    private let clock: any ServerClock
    /// The loop the timer runs on.
    private let scheduler: any EventLoop
    private let observer: any ServerObserver
    private let logger: Logger
    /// Changed from any loop (`changed()`), read on the scheduler's.
    private let schedule: NIOLockedValueBox<ListPushSchedule>
    /// The list encoded once per generation of presence, for pushes and `List` requests alike.
    private let cache = OnlineListCache()
    /// The last list pushed, with its version and its changes from the one before (change events).
    private let latest = NIOLockedValueBox(ListEdition())
    /// Online clients that asked for change events: their pushes cost the changes only.
    private let changeClients = Atomic<Int>(0)
    /// Whether the last newcomer that showed asked for change events (`newcomerHold`): the
    /// last that asked, unless a hold ran out after it (`newcomerDidNotAsk`).
    private let newcomersAsk = Atomic<Bool>(false)
    /// The push being written, until it drained (read and written on the scheduler's loop).
    private let inFlight = NIOLockedValueBox<PushInFlight?>(nil)
    /// Numbers the pushes, so that a late timer of an earlier push ends nothing.
    private let pushes = Atomic<UInt64>(0)

    /// A push on its way: what its drain is measured against.
    private struct PushInFlight {
        let number: UInt64
        let drain: ListDrain
        let started: NIODeadline
        /// When the first loop began writing it: the rate is measured from there, as a loop
        /// busy with a storm's `Connect`s may start writing a small push well after it began.
        var writing: NIODeadline?
        /// The bytes it writes to all its recipients (estimated for clients of change events).
        let bytes: Int
        /// What the bulk wrote, and in how long, once it has (the rate is measured on it).
        var bulk: (written: Int, elapsed: TimeAmount)?

        /// What `finished` of the recipients wrote by `now`, and in how long since writing began.
        func measured(finished: Int, at now: NIODeadline) -> (written: Int, elapsed: TimeAmount) {
            let share = min(1, Double(finished) / Double(max(1, self.drain.recipients)))
            return (Int(Double(self.bytes) * share), now - (self.writing ?? self.started))
        }
    }

    init(
        presence: any Presence, configuration: ServerConfiguration, clock: any ServerClock,
        scheduler: any EventLoop, observer: any ServerObserver, logger: Logger
    ) {
        self.presence = presence
        self.clock = clock
        self.schedule = NIOLockedValueBox(
            ListPushSchedule(
                quietPeriod: TimeAmount(configuration.listQuietPeriod),
                maxDelay: TimeAmount(configuration.listMaxDelay),
                ceiling: configuration.listBudget))
        self.scheduler = scheduler
        self.observer = observer
        self.logger = logger
    }

    /// A new ceiling for list pushes (`--list-budget`, changed by a reload; `nil`: none), from
    /// the next push.
    func setCeiling(_ ceiling: Int?) {
        self.schedule.withLockedValue { $0.ceiling = ceiling }
    }

    /// Notes a change of the online set; the list reaches everyone within the maximum delay.
    func changed() {
        let now = self.clock.now
        if let look = self.schedule.withLockedValue({ $0.changed(at: now) }) {
            self.setTimer(at: look)
        }
    }

    /// The current list's `List k/n` bodies, for a `List` request (encoded once per change).
    func currentList() -> [ByteBuffer] {
        self.cache.current(of: self.presence).parts
    }

    /// A client started receiving change events (until `changeEventsEnded()`, when it leaves).
    func changeEventsStarted() {
        self.changeClients.add(1, ordering: .relaxed)
        self.newcomersAsk.store(true, ordering: .relaxed)
    }

    /// How long a newcomer's first pushed list waits for its `List changes` (`ListWriter`),
    /// or `nil`: not at all. Clients send it once `Connected` reached them: a round trip later
    /// on a quiet server, seconds later in a join storm (10,000 `chatbench` clients: most after
    /// more than 0.5 s), and a full list begun meanwhile is sent for nothing (amplification
    /// 1.7 instead of 1.02 at 10,000). While newcomers ask (`newcomersAsk`), a newcomer's list
    /// waits as long as a client waits for the answer (`ClientProtocol.changesAnswerTime`).
    var newcomerHold: TimeAmount? {
        self.newcomersAsk.load(ordering: .relaxed) ? TimeAmount(ClientProtocol.changesAnswerTime) : nil
    }

    /// A newcomer's hold ran out without its `List changes`: newcomers are taken not to ask
    /// until the next one that does. A server of the assignment's clients never holds a list.
    func newcomerDidNotAsk() {
        self.newcomersAsk.store(false, ordering: .relaxed)
    }

    /// Clients receiving change events now (tests read it).
    var changeClientCount: Int { self.changeClients.load(ordering: .relaxed) }

    /// A client that received change events left.
    func changeEventsEnded() {
        self.changeClients.subtract(1, ordering: .relaxed)
    }

    /// The last list pushed: what a client that asks for change events starts from.
    var latestEdition: ListEdition {
        self.latest.withLockedValue { $0 }
    }

    /// Sets the one timer, on the scheduler's loop.
    private func setTimer(at deadline: NIODeadline) {
        self.clock.schedule(at: deadline, on: self.scheduler) { self.timerFired() }
    }

    /// Pushes, or looks again later, as the schedule says.
    private func timerFired() {
        let now = self.clock.now
        let clients = self.presence.count
        let changeClients = self.changeClients.load(ordering: .relaxed)
        let listed = self.presence.listedCount
        let meanNameLength = clients > 0 ? Double(self.presence.localNameBytes) / Double(clients) : nil
        switch self.schedule.withLockedValue({
            $0.timerFired(
                at: now, clients: clients, listed: listed, changeClients: changeClients, meanNameLength: meanNameLength)
        })
        {
        case .push:
            self.publish()
        case .wait(let until):
            self.setTimer(at: until)
        case .draining, .idle:
            break
        }
    }

    /// The push `number` reached `milestone` (on the scheduler's loop). All: it has drained.
    /// The bulk: the rate is measured on it, and the rest get as long again as the bulk took
    /// (at least the quiet period).
    private func reached(_ milestone: ListDrain.Milestone, push number: UInt64) {
        guard milestone == .bulk else { return self.drainEnded(push: number) }
        let now = self.clock.now
        let started: NIODeadline? = self.inFlight.withLockedValue { push in
            guard var current = push, current.number == number else { return nil }
            current.bulk = current.measured(finished: current.drain.bulk, at: now)
            push = current
            return current.started
        }
        guard let started else { return }
        let quiet = self.schedule.withLockedValue { $0.quietPeriod }
        self.clock.schedule(at: now + max(now - started, quiet), on: self.scheduler) {
            self.drainEnded(push: number)
        }
    }

    /// The push `number` is over (drained, its stragglers' time ran out, or its limit): the
    /// schedule measures it and looks again if a change waits.
    private func drainEnded(push number: UInt64) {
        guard
            let push = self.inFlight.withLockedValue({ push -> PushInFlight? in
                guard let current = push, current.number == number else { return nil }
                push = nil
                return current
            })
        else { return }
        let now = self.clock.now
        let measured = push.bulk ?? push.measured(finished: push.drain.finishedCount, at: now)
        if let look = self.schedule.withLockedValue({
            $0.drained(at: now, written: measured.written, in: measured.elapsed)
        }) {
            self.setTimer(at: look)
        }
    }

    /// Starts following the drain of the push of `edition` to `recipients` (`listBytes` of full
    /// list each, the changes to clients of change events), ended at `limit` at the latest.
    private func startDrain(
        of edition: ListEdition, recipients: Int, listBytes: Int, limit: TimeAmount
    ) -> (UInt64, ListDrain) {
        let number = self.pushes.wrappingAdd(1, ordering: .relaxed).newValue
        let scheduler = self.scheduler
        let drain = ListDrain(recipients: recipients) { milestone in
            scheduler.execute { self.reached(milestone, push: number) }
        }
        let changeClients = min(recipients, self.changeClients.load(ordering: .relaxed))
        let changeBytes = edition.changeParts.reduce(0) { $0 + Wire.headerLength + $1.readableBytes }
        let started = self.clock.now
        let bytes = (recipients - changeClients) * listBytes + changeClients * changeBytes
        self.inFlight.withLockedValue {
            $0 = PushInFlight(number: number, drain: drain, started: started, bytes: bytes)
        }
        if recipients == 0 {
            self.drainEnded(push: number)
        } else {
            self.clock.schedule(at: started + limit, on: self.scheduler) { self.drainEnded(push: number) }
        }
        return (number, drain)
    }

    /// A loop begins writing the push `number` (the first one sets `PushInFlight.writing`).
    private func writingBegins(push number: UInt64) {
        let now = self.clock.now
        self.inFlight.withLockedValue { push in
            if push?.number == number, push?.writing == nil { push?.writing = now }
        }
    }

    private func publish() {
        // One snapshot of this process's clients for the list and its recipients (the
        // generation read first, as the cache needs: `OnlineListCache`).
        let generation = self.presence.generation
        let recipients = self.presence.localRecipients()
        let (names, parts) = self.cache.current(of: self.presence, snapshot: (generation, recipients))
        let bytes = parts.reduce(0) { $0 + Wire.headerLength + $1.readableBytes }
        let limit = self.schedule.withLockedValue { schedule in
            schedule.listEncoded(names: names.count, bytes: bytes)
            return schedule.drainLimit(bytes: bytes * recipients.count)
        }
        // Pushes run one at a time on the scheduler's loop, the only writer of `latest`: the
        // next edition (a diff of two lists) is made outside the lock, then swapped in.
        let edition = self.latest.withLockedValue { $0 }.next(names: names, listParts: parts)
        self.latest.withLockedValue { $0 = edition }
        self.logger.debug(
            "pushing the online list", metadata: ["clients": "\(recipients.count)", "parts": "\(parts.count)"])
        self.observer.pushedList(recipients: recipients.count, parts: parts.count)
        let (number, drain) = self.startDrain(
            of: edition, recipients: recipients.count, listBytes: bytes, limit: limit)
        var byLoop: [ObjectIdentifier: (loop: any EventLoop, recipients: [LocalRecipient])] = [:]
        for recipient in recipients {
            let loop = recipient.eventLoop
            byLoop[ObjectIdentifier(loop), default: (loop, [])].recipients.append(recipient)
        }
        for (loop, group) in byLoop.values {
            loop.execute {
                self.writingBegins(push: number)
                for recipient in group { recipient.offerList(edition, drain: drain) }
            }
        }
    }
}
