public import NIOCore
import Synchronization

/// The lease as every connection can read it, on any loop, without a lock: until when this
/// node's ids are surely its own (`NodeLease.validUntil`, published by `ClusterPresence`).
///
/// A timer that closes the clients when the lease runs out is not enough: a process that was
/// paused (SIGSTOP, a VM pause) wakes with its clients' frames waiting in their sockets, and its
/// loops may read them before the timer, late by the pause, fires. So a connection of a cluster
/// node asks the fence, against the clock as it is now, before it handles what it read, and
/// the inbox asks it before it delivers: past the lease, nothing is forwarded under an id that
/// another node may hold by now.
public final class LeaseFence: Sendable {
    /// `NodeLease.validUntil` in uptime nanoseconds; `Int64.min`: no lease.
    private let until = Atomic<Int64>(.min)

    /// A fence with no lease yet.
    public init() {}

    /// The lease now runs until `deadline` (`nil`: there is none).
    func set(until deadline: NIODeadline?) {
        self.until.store(deadline.map { Int64(clamping: $0.uptimeNanoseconds) } ?? .min, ordering: .releasing)
    }

    /// Whether this node's ids are surely its own at `now`.
    public func holds(at now: NIODeadline) -> Bool {
        Int64(clamping: now.uptimeNanoseconds) < self.until.load(ordering: .acquiring)
    }
}
