import NIOCore

/// How long this node may still consider its ids its own: until its lease in Redis could have
/// expired. A value over the server's clock (tests give the times by hand).
///
/// Redis starts a lease's time when it runs the refresh, after this node sent it; so counting
/// from the moment of sending is never later than Redis. A margin covers clocks that run at
/// slightly different rates.
struct NodeLease: Sendable {
    /// The lease's length (`--cluster-lease`).
    let length: TimeAmount
    /// Until when the ids are surely this node's; `nil`: not at all (never registered, or lost).
    private(set) var validUntil: NIODeadline?

    init(length: TimeAmount) {
        self.length = length
    }

    /// How often the lease is refreshed: three chances before it runs out.
    var refreshInterval: TimeAmount { .nanoseconds(self.length.nanoseconds / 3) }

    /// How often other nodes' leases are checked (a dead node's ids go within the lease plus this).
    var reapInterval: TimeAmount { .nanoseconds(min(self.length.nanoseconds / 4, 250_000_000)) }

    /// How much earlier than Redis this node gives its ids up: 2 % of the lease, at most 100 ms.
    var margin: TimeAmount { .nanoseconds(min(self.length.nanoseconds / 50, 100_000_000)) }

    /// Redis confirmed a refresh (or registration) sent at `sentAt`.
    mutating func confirmed(sentAt: NIODeadline) {
        let until = sentAt + self.length - self.margin
        if let current = self.validUntil, current > until { return }
        self.validUntil = until
    }

    /// The lease is gone (Redis said so, or it ran out).
    mutating func lost() {
        self.validUntil = nil
    }

    /// Whether the ids are this node's at `now`.
    func isValid(at now: NIODeadline) -> Bool {
        guard let until = self.validUntil else { return false }
        return now < until
    }
}
