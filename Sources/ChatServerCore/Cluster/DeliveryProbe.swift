import NIOCore

/// Whether the backbone still delivers. A connected Redis that answers commands can still have
/// stopped delivering to this node (a subscription stalled behind a half-dead connection or a
/// middlebox): the node would go on answering while it no longer hears the others, the health
/// check green while nothing arrives. So at every lease refresh the node publishes an empty
/// message to its own inbox, through the connection frames to other nodes take, and hears it
/// back on its subscription. A probe not heard back within the lease means the path does not
/// deliver: the node is not ready (`ClusterPresence.backbone`) and drops its subscription,
/// whose new connection subscribes and reads the directory again.
///
/// A plain value on the server's clock; the presence holds it under its lock.
struct DeliveryProbe {
    /// When the oldest probe not heard back was sent; `nil`: every probe came back.
    private(set) var waitingSince: NIODeadline?

    /// A probe was published at `now`.
    mutating func sent(at now: NIODeadline) {
        if self.waitingSince == nil { self.waitingSince = now }
    }

    /// A probe came back: the path delivers.
    mutating func heard() {
        self.waitingSince = nil
    }

    /// A new subscription: probes sent before it may never come back, and are not waited for.
    mutating func restart() {
        self.waitingSince = nil
    }

    /// Whether a probe has waited longer than `patience` at `now`.
    func isOverdue(at now: NIODeadline, patience: TimeAmount) -> Bool {
        self.waitingSince.map { now - $0 > patience } ?? false
    }
}
