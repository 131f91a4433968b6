import NIOCore

/// The alive-timeout rule as a value over the event loop's clock: a connection is retired once
/// nothing was heard from it for `timeout`. The caller gives the time (`EventLoop.now`), so
/// tests move it with an `EmbeddedEventLoop`.
struct Liveness {
    /// What a look at the clock found.
    enum Verdict: Equatable {
        /// Heard from recently enough; look again at this time (when the timeout would next run out).
        case alive(checkAgainAt: NIODeadline)
        /// Silent for the whole timeout.
        case expired
    }

    /// How long a connection may stay silent.
    let timeout: TimeAmount
    /// When something was last heard (or the connection opened).
    private(set) var lastHeard: NIODeadline

    init(timeout: TimeAmount, openedAt now: NIODeadline) {
        self.timeout = timeout
        self.lastHeard = now
    }

    /// The first time the timer should look.
    var firstCheck: NIODeadline { self.lastHeard + self.timeout }

    /// A sign of life arrived at `now` (the end of a read burst that held a well-formed frame).
    mutating func heard(at now: NIODeadline) {
        self.lastHeard = now
    }

    /// Whether the connection is still alive at `now`.
    func check(at now: NIODeadline) -> Verdict {
        let due = self.lastHeard + self.timeout
        return now >= due ? .expired : .alive(checkAgainAt: due)
    }
}
