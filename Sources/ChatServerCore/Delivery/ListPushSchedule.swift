import NIOCore

/// When to push the online list, as a value over the publisher's clock (docs/PROTOCOL.md,
/// rule 9): once the online set has been quiet for `quietPeriod`, but no later than
/// `maxDelay` after the first change not yet pushed. The caller gives the time, so tests move
/// it by hand.
struct ListPushSchedule {
    /// What to do when the timer fires.
    enum Decision: Equatable {
        /// Push now: the set was quiet long enough, or the oldest change waited `maxDelay`.
        case push
        /// Look again at this time.
        case wait(until: NIODeadline)
        /// Nothing is waiting to be pushed.
        case idle
    }

    let quietPeriod: TimeAmount
    let maxDelay: TimeAmount
    /// When the first change not yet pushed happened; `nil` when every change was pushed.
    private var since: NIODeadline?
    /// When the latest change happened.
    private var latest = NIODeadline.uptimeNanoseconds(0)

    init(quietPeriod: TimeAmount, maxDelay: TimeAmount) {
        self.quietPeriod = quietPeriod
        self.maxDelay = maxDelay
    }

    /// Notes a change at `now`. Returns when to look (`timerFired(at:)`) if no look is
    /// planned yet: only the first change after a push starts the timer.
    mutating func changed(at now: NIODeadline) -> NIODeadline? {
        self.latest = now
        guard self.since == nil else { return nil }
        self.since = now
        return now + self.quietPeriod
    }

    /// The timer fired at `now`. On `.push`, the pending changes count as pushed (cleared
    /// before the push takes its snapshot: a change after this point starts a new timer).
    mutating func timerFired(at now: NIODeadline) -> Decision {
        guard let since = self.since else { return .idle }
        let due = min(since + self.maxDelay, self.latest + self.quietPeriod)
        guard now >= due else { return .wait(until: due) }
        self.since = nil
        return .push
    }
}
