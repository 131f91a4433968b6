import NIOCore

/// Whether the backbone still delivers. A connected Redis that answers commands can still have
/// stopped delivering to this node (a subscription stalled behind a half-dead connection or a
/// middlebox): the node would go on answering while it no longer hears the others, the health
/// check green while nothing arrives. So the node publishes an empty message to its own inbox,
/// through the connection frames to other nodes take, as soon as it has subscribed and at every
/// lease refresh, and hears it back on its subscription. Delivery not proven within the lease
/// (`isOverdue`) makes the node not ready (`ClusterPresence.backbone`) until a probe comes back;
/// and the subscription is dropped (`mustDrop`), each new one given a whole lease to prove
/// itself, so that a path that stays broken is retried once a lease, not at every refresh.
///
/// A plain value on the server's clock; the presence holds it under its lock.
struct DeliveryProbe {
    /// Since when delivery has not been proven: a probe out, or a subscription that has not
    /// heard one yet; `nil`: the last probe came back.
    private(set) var unprovenSince: NIODeadline?
    /// When the current subscription connected.
    private var connectedAt: NIODeadline?

    /// A subscription connected at `now`: it has to prove itself (unless an older doubt stands).
    mutating func connected(at now: NIODeadline) {
        self.connectedAt = now
        if self.unprovenSince == nil { self.unprovenSince = now }
    }

    /// A probe was published at `now`.
    mutating func sent(at now: NIODeadline) {
        if self.unprovenSince == nil { self.unprovenSince = now }
    }

    /// A probe came back: the path delivers.
    mutating func heard() {
        self.unprovenSince = nil
    }

    /// Whether delivery has gone unproven for longer than `patience` at `now`.
    func isOverdue(at now: NIODeadline, patience: TimeAmount) -> Bool {
        self.unprovenSince.map { now - $0 > patience } ?? false
    }

    /// Whether to drop the subscription at `now`: overdue, and the subscription has had
    /// `patience` of its own to prove itself.
    func mustDrop(at now: NIODeadline, patience: TimeAmount) -> Bool {
        guard self.isOverdue(at: now, patience: patience), let connectedAt = self.connectedAt else { return false }
        return now - connectedAt > patience
    }
}
