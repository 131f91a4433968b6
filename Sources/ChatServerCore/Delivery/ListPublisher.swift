import ChatWire
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Synchronization

/// Pushes the online list to every online client after each change of the online set.
///
/// Coalescing (`ListPushSchedule`): a push waits until the online set has been quiet for the
/// quiet period (20 ms by default), but while changes keep coming no longer than the maximum
/// delay (100 ms) after the first change it carries, or longer for a costly push; pushes stay
/// within a budget of bytes a second. A single join is told to everyone in about 20 ms; a
/// storm of joins rides along in a handful of pushes. The push takes the recipients from
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
                budget: configuration.listBudget))
        self.scheduler = scheduler
        self.observer = observer
        self.logger = logger
    }

    /// A new budget for list pushes (`--list-budget`, changed by a reload), from the next push.
    func setBudget(_ budget: Int) {
        self.schedule.withLockedValue { $0.budget = budget }
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
        switch self.schedule.withLockedValue({
            $0.timerFired(at: now, clients: clients, listed: listed, changeClients: changeClients)
        })
        {
        case .push:
            self.publish()
        case .wait(let until):
            self.setTimer(at: until)
        case .idle:
            break
        }
    }

    private func publish() {
        // One snapshot of this process's clients for the list and its recipients (the
        // generation read first, as the cache needs: `OnlineListCache`).
        let generation = self.presence.generation
        let recipients = self.presence.localRecipients()
        let (names, parts) = self.cache.current(of: self.presence, snapshot: (generation, recipients))
        let bytes = parts.reduce(0) { $0 + Wire.headerLength + $1.readableBytes }
        self.schedule.withLockedValue { $0.listEncoded(names: names.count, bytes: bytes) }
        // Pushes run one at a time on the scheduler's loop, the only writer of `latest`: the
        // next edition (a diff of two lists) is made outside the lock, then swapped in.
        let edition = self.latest.withLockedValue { $0 }.next(names: names, listParts: parts)
        self.latest.withLockedValue { $0 = edition }
        self.logger.debug(
            "pushing the online list", metadata: ["clients": "\(recipients.count)", "parts": "\(parts.count)"])
        self.observer.pushedList(recipients: recipients.count, parts: parts.count)
        var byLoop: [ObjectIdentifier: (loop: any EventLoop, recipients: [LocalRecipient])] = [:]
        for recipient in recipients {
            let loop = recipient.eventLoop
            byLoop[ObjectIdentifier(loop), default: (loop, [])].recipients.append(recipient)
        }
        for (loop, group) in byLoop.values {
            loop.execute {
                for recipient in group { recipient.offerList(edition) }
            }
        }
    }
}
