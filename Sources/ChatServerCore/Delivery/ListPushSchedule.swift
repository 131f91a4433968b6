import ChatWire
import NIOCore

/// When to push the online list, as a value over the publisher's clock (docs/PROTOCOL.md,
/// rule 9). The caller gives the time, so tests move it by hand.
///
/// The schedule is clocked by the pushes' own drain, as TCP's window is by its acknowledgements:
///
/// - One push at a time: a push is not started while the last one is still being written to
///   its recipients (`drained(at:written:in:)` ends it; `ListDrain` says when). So no client is
///   handed a new full list while the last one is still queued for it, however slowly the
///   machine writes.
/// - A change is pushed once the online set has been quiet for `quietPeriod` (20 ms) since the
///   change and since the last push drained: while the loops write a push they read nobody's
///   `Connect`, and the silence that follows is not the end of a storm. A push that changes
///   overtook while it was being written doubles the quiet the next one waits for, up to
///   `maxQuietDoublings` times (80 ms); one that drained with no change waiting sets it back.
///   A storm pauses (a client busy reading its lists, a SYN the kernel dropped) and a pause
///   longer than 20 ms is not its end.
/// - While changes keep coming, no later than `maxDelay` (100 ms) after the first change not
///   yet pushed, or, for a costly push, six times the time it takes to write (its bytes at the
///   measured `rate`): a push that the next change soon supersedes wastes every byte of it, and
///   a full list to N clients costs N².
/// - `rate` is what the last pushes measured: bytes written over the time their drain took.
///   Until a push was measured it is `initialRate`.
/// - `ceiling` (`--list-budget`, none by default), when set, caps the pushes' average: after a
///   push of C bytes, the next waits until C / ceiling after it started.
///
/// The cost of a push is estimated from the number of clients: each receives the whole list,
/// whose size per name is the last list's (`listEncoded(names:bytes:)`), or before any list
/// was encoded, what names of the online ids' mean length take in full parts
/// (`bytesPerName(meanLength:)`), except clients that asked for change events, which receive
/// only the changes (about 12 bytes each).
struct ListPushSchedule {
    /// What to do when the timer fires.
    enum Decision: Equatable {
        /// Push now: the set was quiet long enough, or the oldest change waited long enough.
        case push
        /// Look again at this time.
        case wait(until: NIODeadline)
        /// The last push is still being written: look again when it has drained.
        case draining
        /// Nothing is waiting to be pushed.
        case idle
    }

    /// While changes keep coming, a push waits up to this many times its writing time.
    static let stormFactor: Int64 = 6
    /// How many times the quiet period doubles while pushes are overtaken by changes.
    static let maxQuietDoublings = 2
    /// The write rate assumed before any push was measured (bytes a second). Only the first
    /// costly push of a storm reads it; every push after it uses what was measured.
    static let initialRate = Double(256 << 20)
    /// Pushes smaller than this are not measured: their drain is mostly the wait for each loop
    /// (in a storm, behind its `Connect`s: 2 MB measured at 50 MB/s where 600 MB take 1.1 s).
    static let smallestMeasured = 16 << 20
    /// The least rate taken from a measurement (bytes a second), so that one stalled push does
    /// not put the next ones off for minutes.
    static let slowestRate = Double(1 << 20)

    let quietPeriod: TimeAmount
    let maxDelay: TimeAmount
    /// The list bytes a second pushes may write on average, if the operator set a ceiling (a
    /// reload can change it); `nil`: as fast as they drain.
    var ceiling: Int? {
        didSet { self.ceiling = self.ceiling.map { max(1, $0) } }
    }
    /// The bytes a second the pushes were written at, as last measured (`drained`).
    private(set) var rate: Double
    /// Whether `rate` comes from a measurement yet.
    private(set) var measured = false
    /// When the first change not yet pushed happened; `nil` when every change was pushed.
    private var since: NIODeadline?
    /// When the latest change happened.
    private var latest = NIODeadline.uptimeNanoseconds(0)
    /// Whether a push is being written (from `.push` until `drained`).
    private var pushing = false
    /// When the last push finished draining.
    private var drainedAt = NIODeadline.uptimeNanoseconds(0)
    /// The earliest time the next push may start under the ceiling.
    private var cooledDown = NIODeadline.uptimeNanoseconds(0)
    /// Bytes one client receives per name in a list (frame headers included), from the last
    /// list encoded; `nil` until one is. `OnlineList` packs about 9 for names of 5 to 8 bytes.
    private var bytesPerName: Double?
    /// Bytes per name assumed with neither a list encoded nor the names' length given.
    static let assumedBytesPerName = 10.0
    /// The bytes of a part's body taken to be not names: its head, `List k/n` (`OnlineList`:
    /// 12 bytes in a list of up to 999 parts), and 2 to spare.
    static let listHeadLength = 14
    /// Changes noted since the last push.
    private var pendingChanges = 0
    /// How many pushes in a row changes overtook while they were being written (at most
    /// `maxQuietDoublings`): the quiet period is doubled that many times.
    private(set) var overtaken = 0
    /// Bytes a change takes in a `Changed` part (`+name`, a share of the frame's header).
    static let bytesPerChange = 12.0

    /// A schedule with no push measured yet: `assumedRate` bytes a second until one is.
    init(quietPeriod: TimeAmount, maxDelay: TimeAmount, ceiling: Int? = nil, assumedRate: Double = Self.initialRate) {
        self.quietPeriod = quietPeriod
        self.maxDelay = maxDelay
        self.ceiling = ceiling.map { max(1, $0) }
        self.rate = max(Self.slowestRate, assumedRate)
    }

    /// The quiet a push waits for now (before `stormQuiet`).
    var quiet: TimeAmount { .nanoseconds(self.quietPeriod.nanoseconds << self.overtaken) }

    /// The quiet a push of `full` bytes of whole lists waits for, with `clients` online: in a
    /// storm (a push carrying changes for at least an eighth of the clients), half its writing
    /// time, at most the maximum delay (100 ms). A storm pauses for tens of milliseconds (its
    /// clients busy reading lists); waiting out such a pause delays the list by at most half
    /// of what pushing in it would waste.
    func stormQuiet(full: Int, clients: Int) -> TimeAmount {
        guard self.pendingChanges * 8 >= clients else { return self.quiet }
        let half = TimeAmount.nanoseconds(self.writeTime(of: full).nanoseconds / 2)
        return max(self.quiet, min(half, self.maxDelay))
    }

    /// Notes a change at `now`. Returns when to look (`timerFired(at:clients:)`) if no look is
    /// planned yet: only the first change after a push starts the timer, and none while a push
    /// drains (its end looks).
    mutating func changed(at now: NIODeadline) -> NIODeadline? {
        self.latest = now
        self.pendingChanges += 1
        guard self.since == nil else { return nil }
        self.since = now
        guard !self.pushing else { return nil }
        return max(now + self.quiet, self.cooledDown)
    }

    /// The bytes a push to `clients` clients would write: each gets the whole list of `listed`
    /// names (`full`; as many as the clients unless a cluster lists others' too), but the
    /// `changeClients` among them only the changes (`changes`).
    /// Before any list was encoded, names are priced at `meanNameLength` bytes each if given
    /// (`bytesPerName(meanLength:)`).
    func cost(
        clients: Int, listed: Int? = nil, changeClients: Int = 0, meanNameLength: Double? = nil
    ) -> (full: Int, changes: Int) {
        let perName =
            self.bytesPerName ?? meanNameLength.map(Self.bytesPerName(meanLength:)) ?? Self.assumedBytesPerName
        let full = Double(max(0, clients - changeClients)) * Double(listed ?? clients) * perName
        let changes = Double(changeClients) * Double(self.pendingChanges) * Self.bytesPerChange
        return (Int(min(full, Double(Int.max / 4))), Int(min(changes, Double(Int.max / 4))))
    }

    /// How long `bytes` of pushes take to write at the measured rate.
    func writeTime(of bytes: Int) -> TimeAmount {
        .nanoseconds(Int64(min(Double(bytes) / self.rate * 1e9, 1e15)))
    }

    /// How long `bytes` of pushes take of the ceiling (zero without one).
    func share(of bytes: Int) -> TimeAmount {
        guard let ceiling = self.ceiling else { return .zero }
        return .nanoseconds(Int64(min(Double(bytes) / Double(ceiling) * 1e9, 1e15)))
    }

    /// The longest a push of `bytes` is waited for before the next may start, however many of
    /// its recipients have not taken it (a client that does not read): as long as a change may
    /// wait in a storm.
    func drainLimit(bytes: Int) -> TimeAmount {
        max(self.maxDelay, .nanoseconds(self.writeTime(of: bytes).nanoseconds * Self.stormFactor))
    }

    /// The timer fired at `now`, with `clients` to push to, `listed` names in the list (`nil`: as
    /// many), `changeClients` of the clients receiving change events. On `.push`, the pending
    /// changes count as pushed (cleared before the push takes its snapshot: a change after this
    /// point is for the next push), and the push is in flight until `drained`.
    mutating func timerFired(
        at now: NIODeadline, clients: Int, listed: Int? = nil, changeClients: Int = 0, meanNameLength: Double? = nil
    ) -> Decision {
        guard let since = self.since else { return .idle }
        guard !self.pushing else { return .draining }
        let cost = self.cost(
            clients: clients, listed: listed, changeClients: changeClients, meanNameLength: meanNameLength)
        // Only full lists are wasted by the next push; changes are never sent twice, so putting
        // them off saves nothing.
        let longest = max(self.maxDelay, .nanoseconds(self.writeTime(of: cost.full).nanoseconds * Self.stormFactor))
        let quiet = max(self.latest, self.drainedAt) + self.stormQuiet(full: cost.full, clients: clients)
        let due = max(min(since + longest, quiet), self.cooledDown)
        guard now >= due else { return .wait(until: due) }
        self.since = nil
        self.pendingChanges = 0
        self.pushing = true
        self.cooledDown = now + self.share(of: cost.full + cost.changes)
        return .push
    }

    /// The push in flight is over at `now`; `written` bytes of it reached their sockets in
    /// `elapsed` (all of it, or its bulk: what the rate is measured on). Returns when to look
    /// again if a change waits.
    mutating func drained(at now: NIODeadline, written: Int, in elapsed: TimeAmount) -> NIODeadline? {
        guard self.pushing else { return nil }
        self.pushing = false
        self.drainedAt = now
        self.measure(written: written, in: elapsed)
        guard self.since != nil else {
            self.overtaken = 0
            return nil
        }
        self.overtaken = min(self.overtaken + 1, Self.maxQuietDoublings)
        return max(now + self.quiet, self.cooledDown)
    }

    /// Takes the rate from a push that wrote `bytes` in `elapsed`: the first measurement
    /// replaces the assumed rate, later ones move it halfway, so one disturbed push does not
    /// decide alone.
    private mutating func measure(written bytes: Int, in elapsed: TimeAmount) {
        guard bytes >= Self.smallestMeasured, elapsed.nanoseconds > 0 else { return }
        let observed = max(Self.slowestRate, Double(bytes) / (Double(elapsed.nanoseconds) / 1e9))
        self.rate = self.measured ? (self.rate + observed) / 2 : observed
        self.measured = true
    }

    /// What a list of names `meanLength` bytes long takes per name, frames included: each name
    /// and its space, in parts of one whole frame (`Wire.maxFrameLength`) whose body holds the
    /// names behind the head. The first storm's push is priced with it (a storm's ids are
    /// often shorter than 8 bytes: 6.1 bytes a name were written for `s0` to `s1999`).
    static func bytesPerName(meanLength: Double) -> Double {
        (max(1, min(Double(Wire.nameLength), meanLength)) + 1) * Double(Wire.maxFrameLength)
            / Double(Wire.maxBodyLength - Self.listHeadLength)
    }

    /// A list of `names` names took `bytes` bytes per client (frames included): the size per
    /// name the next estimates use.
    mutating func listEncoded(names: Int, bytes: Int) {
        guard names > 0 else { return }
        self.bytesPerName = Double(bytes) / Double(names)
    }
}
