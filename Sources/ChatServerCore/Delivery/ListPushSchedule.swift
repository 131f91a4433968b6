import NIOCore

/// When to push the online list, as a value over the publisher's clock (docs/PROTOCOL.md,
/// rule 9). The caller gives the time, so tests move it by hand.
///
/// - A change is pushed once the online set has been quiet for `quietPeriod` (20 ms).
/// - While changes keep coming, no later than `maxDelay` (100 ms) after the first one not yet
///   pushed, or, for a costly push, six times its share of the budget: a push that the next
///   change soon supersedes wastes every byte of it, and a full list to N clients costs N².
/// - Pushes on average write no more than `budget` bytes a second: after a push of C bytes, the
///   next one waits until C / `budget` after it started, so that connects, heartbeats and chat
///   keep the rest of the server's time.
///
/// The cost of a push is estimated from the number of clients: each receives the whole list,
/// whose size per name is the last list's (`listEncoded(names:bytes:)`), except clients that
/// asked for change events, which receive only the changes (about 12 bytes each).
struct ListPushSchedule {
    /// What to do when the timer fires.
    enum Decision: Equatable {
        /// Push now: the set was quiet long enough, or the oldest change waited long enough.
        case push
        /// Look again at this time.
        case wait(until: NIODeadline)
        /// Nothing is waiting to be pushed.
        case idle
    }

    /// While changes keep coming, a push waits up to this many times its share of the budget.
    static let stormFactor: Int64 = 6

    let quietPeriod: TimeAmount
    let maxDelay: TimeAmount
    /// The list bytes a second pushes may write on average (a reload can change it).
    var budget: Int {
        didSet { self.budget = max(1, self.budget) }
    }
    /// When the first change not yet pushed happened; `nil` when every change was pushed.
    private var since: NIODeadline?
    /// When the latest change happened.
    private var latest = NIODeadline.uptimeNanoseconds(0)
    /// The earliest time the next push may start (the last push's share of the budget).
    private var cooledDown = NIODeadline.uptimeNanoseconds(0)
    /// Bytes one client receives per name in a list (frame headers included), from the last
    /// list encoded; `OnlineList` packs about 9 for names of 5 to 8 bytes.
    private var bytesPerName = 10.0
    /// Changes noted since the last push.
    private var pendingChanges = 0
    /// Bytes a change takes in a `Changed` part (`+name`, a share of the frame's header).
    static let bytesPerChange = 12.0

    init(quietPeriod: TimeAmount, maxDelay: TimeAmount, budget: Int) {
        self.quietPeriod = quietPeriod
        self.maxDelay = maxDelay
        self.budget = max(1, budget)
    }

    /// Notes a change at `now`. Returns when to look (`timerFired(at:clients:)`) if no look is
    /// planned yet: only the first change after a push starts the timer.
    mutating func changed(at now: NIODeadline) -> NIODeadline? {
        self.latest = now
        self.pendingChanges += 1
        guard self.since == nil else { return nil }
        self.since = now
        return max(now + self.quietPeriod, self.cooledDown)
    }

    /// The bytes a push to `clients` clients would write: each gets the whole list of `listed`
    /// names (`full`; as many as the clients unless a cluster lists others' too), but the
    /// `changeClients` among them only the changes (`changes`).
    func cost(clients: Int, listed: Int? = nil, changeClients: Int = 0) -> (full: Int, changes: Int) {
        let full = Double(max(0, clients - changeClients)) * Double(listed ?? clients) * self.bytesPerName
        let changes = Double(changeClients) * Double(self.pendingChanges) * Self.bytesPerChange
        return (Int(min(full, Double(Int.max / 4))), Int(min(changes, Double(Int.max / 4))))
    }

    /// How long `bytes` of pushes take of the budget.
    func share(of bytes: Int) -> TimeAmount {
        .nanoseconds(Int64(min(Double(bytes) / Double(self.budget) * 1e9, 1e15)))
    }

    /// The timer fired at `now`, with `clients` to push to, `listed` names in the list (`nil`: as
    /// many), `changeClients` of the clients receiving change events. On `.push`, the pending
    /// changes count as pushed (cleared before the push takes its snapshot: a change after this
    /// point starts a new timer).
    mutating func timerFired(
        at now: NIODeadline, clients: Int, listed: Int? = nil, changeClients: Int = 0
    ) -> Decision {
        guard let since = self.since else { return .idle }
        let cost = self.cost(clients: clients, listed: listed, changeClients: changeClients)
        // Only full lists are wasted by the next push; changes are never sent twice, so putting
        // them off saves nothing.
        let superseded = self.share(of: cost.full)
        let share = self.share(of: cost.full + cost.changes)
        let longest = max(self.maxDelay, .nanoseconds(superseded.nanoseconds * Self.stormFactor))
        let due = max(min(since + longest, self.latest + self.quietPeriod), self.cooledDown)
        guard now >= due else { return .wait(until: due) }
        self.since = nil
        self.pendingChanges = 0
        self.cooledDown = now + share
        return .push
    }

    /// A list of `names` names took `bytes` bytes per client (frames included): the size per
    /// name the next estimates use.
    mutating func listEncoded(names: Int, bytes: Int) {
        guard names > 0 else { return }
        self.bytesPerName = Double(bytes) / Double(names)
    }
}
