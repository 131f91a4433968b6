import NIOConcurrencyHelpers
import NIOCore
import Synchronization

/// The flood limits in force, which a reload (SIGHUP with `--config`) can change while the
/// server runs. Written at start and at each reload (`ChatServer.apply`), read by every
/// connection: what the per-message path reads (`pacesReads`, and `connectTimeout` when a
/// connection's timer is armed) are single atomic loads; the whole set is read under a lock only
/// when a connection opens (to build its `FloodGate`) or a reload refits it.
final class LiveLimits: Sendable {
    private let limits: NIOLockedValueBox<FloodLimits>
    private let pacing: Synchronization.Atomic<Bool>
    private let connectTimeoutNanoseconds: Synchronization.Atomic<Int64>

    /// The limits the server starts with.
    init(_ limits: FloodLimits) {
        self.limits = NIOLockedValueBox(limits)
        self.pacing = Atomic(limits.isEnabled)
        self.connectTimeoutNanoseconds = Atomic(TimeAmount(limits.connectTimeout).nanoseconds)
    }

    /// The limits in force.
    var flood: FloodLimits { self.limits.withLockedValue { $0 } }

    /// Whether clients' reads are paced (`ReadPacingHandler`): a per-client rate is set.
    var pacesReads: Bool { self.pacing.load(ordering: .relaxed) }

    /// How long a connection may take to send `Connect` (`--connect-timeout`).
    var connectTimeout: TimeAmount { .nanoseconds(self.connectTimeoutNanoseconds.load(ordering: .relaxed)) }

    /// Puts `limits` in force for what reads them from now on (the caller refits open connections).
    func set(_ limits: FloodLimits) {
        self.limits.withLockedValue { $0 = limits }
        self.connectTimeoutNanoseconds.store(TimeAmount(limits.connectTimeout).nanoseconds, ordering: .relaxed)
        self.pacing.store(limits.isEnabled, ordering: .relaxed)
    }
}
