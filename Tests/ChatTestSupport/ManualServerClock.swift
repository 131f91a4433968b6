public import ChatServerCore
import ChatWireTestSupport
import NIOConcurrencyHelpers
public import NIOCore

/// A server clock that moves only when the test says: the alive timeout and the list push's
/// timing then depend on `advance(by:)` alone, never on how busy the machine is, with
/// `EmbeddedChannel`s or real sockets alike.
public final class ManualServerClock: ServerClock {
    private struct Timer {
        let deadline: NIODeadline
        let loop: any EventLoop
        let fire: @Sendable () -> Void
    }

    private struct State {
        var now = NIODeadline.uptimeNanoseconds(1_000_000_000)
        var timers: [Int: Timer] = [:]
        var nextID = 0
    }

    private let state = NIOLockedValueBox(State())
    /// More timer firings than this in one `advance` mean a rule re-arms its timer at a time
    /// already reached (a bug that would spin a real server): the test stops instead of hanging.
    private static let firingLimit = 1_000_000

    /// A clock at an arbitrary start.
    public init() {}

    /// The current time.
    public var now: NIODeadline { self.state.withLockedValue { $0.now } }

    /// How many timers are set and have not fired.
    public var pendingTimers: Int { self.state.withLockedValue { $0.timers.count } }

    /// Keeps the timer until `advance` reaches `deadline`.
    public func scheduleCallback(
        at deadline: NIODeadline, on loop: any EventLoop, handler: some NIOScheduledCallbackHandler & AnyObject
    ) -> ServerTimer {
        // Bound to the loop (a handler is not Sendable): fired on it.
        let call = NIOLoopBound({ handler.handleScheduledCallback(eventLoop: loop) }, eventLoop: loop)
        let id = self.add(Timer(deadline: deadline, loop: loop) { call.value() })
        return .custom { [weak self] in self?.cancel(id) }
    }

    /// Keeps the task until `advance` reaches `deadline`.
    public func schedule(at deadline: NIODeadline, on loop: any EventLoop, _ task: @escaping @Sendable () -> Void) {
        self.add(Timer(deadline: deadline, loop: loop, fire: task))
    }

    @discardableResult
    private func add(_ timer: Timer) -> Int {
        self.state.withLockedValue { state in
            defer { state.nextID += 1 }
            state.timers[state.nextID] = timer
            return state.nextID
        }
    }

    /// Moves the clock by `amount`, firing every timer that falls due on its own loop, earliest
    /// first, each with the clock at its deadline, and waiting until each has run.
    public func advance(by amount: TimeAmount) async {
        let target = self.now + amount
        var fired = 0
        while let (timer, loop) = self.takeNextDue(by: target) {
            fired += 1
            precondition(fired < Self.firingLimit, "timers keep re-arming without time moving on")
            try? await loop.submit { timer() }.get()
        }
        self.state.withLockedValue { $0.now = max($0.now, target) }
    }

    /// The same for timers on the calling thread's loop (an `EmbeddedEventLoop`): fired in place.
    public func advanceInPlace(by amount: TimeAmount) {
        let target = self.now + amount
        var fired = 0
        while let (timer, _) = self.takeNextDue(by: target) {
            fired += 1
            precondition(fired < Self.firingLimit, "timers keep re-arming without time moving on")
            timer()
        }
        self.state.withLockedValue { $0.now = max($0.now, target) }
    }

    /// Removes and returns the earliest timer due by `target`, the clock moved to its deadline.
    private func takeNextDue(by target: NIODeadline) -> (@Sendable () -> Void, any EventLoop)? {
        self.state.withLockedValue { state in
            guard
                let (id, timer) = state.timers.filter({ $0.value.deadline <= target })
                    .min(by: { ($0.value.deadline, $0.key) < ($1.value.deadline, $1.key) })
            else { return nil }
            state.timers[id] = nil
            state.now = max(state.now, timer.deadline)
            return (timer.fire, timer.loop)
        }
    }

    private func cancel(_ id: Int) {
        self.state.withLockedValue { _ = $0.timers.removeValue(forKey: id) }
    }
}
