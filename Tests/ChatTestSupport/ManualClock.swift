public import ChatWireTestSupport
import NIOConcurrencyHelpers

/// A clock that moves only when the test says (`advance(by:)`): code that sleeps on it wakes
/// when the test has moved it past the deadline, never on its own.
public final class ManualClock: Clock, Sendable {
    /// A point on the manual clock: the time since it started.
    public struct Instant: InstantProtocol {
        /// Time since the clock's start.
        public var offset: Duration

        /// This instant moved by `duration`.
        public func advanced(by duration: Duration) -> Instant { Instant(offset: self.offset + duration) }
        /// The time from this instant to `other`.
        public func duration(to other: Instant) -> Duration { other.offset - self.offset }
        /// Earlier first.
        public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private struct Sleeper {
        let deadline: Instant
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now = Instant(offset: .zero)
        var sleepers: [Sleeper] = []
    }

    private let state = NIOLockedValueBox(State())

    /// A clock at zero.
    public init() {}

    /// The current time.
    public var now: Instant { self.state.withLockedValue { $0.now } }

    /// No finer than a nanosecond.
    public var minimumResolution: Duration { .nanoseconds(1) }

    /// How many tasks are asleep on the clock.
    public var sleeping: Int { self.state.withLockedValue { $0.sleepers.count } }

    /// Sleeps until the test has moved the clock to `deadline` (at once if it is there already).
    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let wakeNow = self.state.withLockedValue { state -> Bool in
                guard deadline > state.now else { return true }
                state.sleepers.append(Sleeper(deadline: deadline, continuation: continuation))
                return false
            }
            if wakeNow { continuation.resume() }
        }
    }

    /// Moves the clock and wakes every sleeper whose deadline has come.
    public func advance(by duration: Duration) {
        let woken = self.state.withLockedValue { state -> [Sleeper] in
            state.now = state.now.advanced(by: duration)
            let now = state.now
            let due = state.sleepers.filter { $0.deadline <= now }
            state.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for sleeper in woken { sleeper.continuation.resume() }
    }

    /// Waits (on real time, up to `timeout`) until `count` tasks are asleep on the clock: the
    /// moment to move it.
    public func waitForSleepers(_ count: Int = 1, timeout: Duration = Patience.guardTime) async throws {
        let start = ContinuousClock.now
        while self.sleeping < count {
            guard ContinuousClock.now - start < timeout else {
                throw TestFailure("nothing went to sleep on the manual clock within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(1))
        }
    }
}
