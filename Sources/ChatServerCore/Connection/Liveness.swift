import NIOCore

/// The alive-timeout rule as a value: a connection is retired once nothing was heard from it
/// for the timeout. The caller gives the time (the server's `ServerClock`) and the timeout (the
/// server's, not stored here: one less field per connection), so tests give both by hand.
struct Liveness {
    /// What a look at the clock found.
    enum Verdict: Equatable {
        /// Heard from recently enough; look again at this time (when the timeout would next run out).
        case alive(checkAgainAt: NIODeadline)
        /// Silent for the whole timeout.
        case expired
    }

    /// When something was last heard (or the connection opened).
    private(set) var lastHeard: NIODeadline

    init(openedAt now: NIODeadline) {
        self.lastHeard = now
    }

    /// A sign of life arrived at `now` (the end of a read burst that held a well-formed frame).
    mutating func heard(at now: NIODeadline) {
        self.lastHeard = now
    }

    /// Whether the connection, allowed to stay silent for `timeout`, is still alive at `now`.
    func check(at now: NIODeadline, timeout: TimeAmount) -> Verdict {
        let due = self.lastHeard + timeout
        return now >= due ? .expired : .alive(checkAgainAt: due)
    }
}
