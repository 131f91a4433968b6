import NIOCore

/// A token bucket as a value: `rate` tokens a second flow in, up to `capacity`; taking more than
/// there are leaves a debt that the flow pays back first. The caller gives the time (the
/// server's clock), so tests give it by hand.
struct TokenBucket: Sendable, Equatable {
    /// Tokens a second.
    let rate: Double
    /// The most tokens held (the burst allowed after a quiet spell).
    let capacity: Double
    /// Tokens now (negative: a debt).
    private(set) var tokens: Double
    private var updated: NIODeadline

    /// A full bucket at `now`.
    init(rate: Double, capacity: Double, now: NIODeadline) {
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.updated = now
    }

    /// Takes `amount` tokens at `now`, into debt if need be; returns when the bucket is out of
    /// debt again (`nil`: it is not in debt).
    mutating func spend(_ amount: Double, at now: NIODeadline) -> NIODeadline? {
        self.refill(at: now)
        self.tokens -= amount
        guard self.tokens < 0 else { return nil }
        return now + .nanoseconds(Int64((-self.tokens / self.rate * 1e9).rounded(.up)))
    }

    /// Takes one token at `now` if there is one; `false` otherwise (nothing taken).
    mutating func take(at now: NIODeadline) -> Bool {
        self.refill(at: now)
        guard self.tokens >= 1 else { return false }
        self.tokens -= 1
        return true
    }

    /// Whether the bucket is full at `now` (nothing to remember about it).
    func isFull(at now: NIODeadline) -> Bool {
        var copy = self
        copy.refill(at: now)
        return copy.tokens >= copy.capacity
    }

    private mutating func refill(at now: NIODeadline) {
        guard now > self.updated else { return }
        let seconds = Double((now - self.updated).nanoseconds) / 1e9
        self.tokens = min(self.capacity, self.tokens + seconds * self.rate)
        self.updated = now
    }
}
