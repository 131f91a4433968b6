public import NIOCore

/// The server's time: what its rules read (`now`) and how their timers are set (the alive
/// timeout, the list push's quiet period and maximum delay).
///
/// `SystemClock` is the event loops' own (monotonic) time. Tests give the server a clock they
/// move by hand, with `EmbeddedChannel`s or real sockets alike, so that no rule is tested by
/// sleeping.
public protocol ServerClock: Sendable {
    /// The current time.
    var now: NIODeadline { get }
    /// Calls `handler.handleScheduledCallback(eventLoop:)` on `loop` once `deadline` has come.
    /// Called on `loop`; the handler stays on it.
    func scheduleCallback(
        at deadline: NIODeadline, on loop: any EventLoop, handler: some NIOScheduledCallbackHandler & AnyObject
    ) -> ServerTimer
    /// Runs `task` on `loop` once `deadline` has come; callable from any thread (the timer is
    /// set before this returns).
    func schedule(at deadline: NIODeadline, on loop: any EventLoop, _ task: @escaping @Sendable () -> Void)
}

/// A timer set on a `ServerClock`. An enum, not an existential: a connection keeps one, and
/// NIO's callback handle is too large to sit in an existential without a heap box.
public enum ServerTimer: Sendable {
    /// One of NIO's scheduled callbacks (`SystemClock`).
    case scheduled(NIOScheduledCallback)
    /// A timer of another clock, cancelled by calling this.
    case custom(cancel: @Sendable () -> Void)
    /// No timer (the loop was shutting down).
    case none

    /// Stops the timer if it has not fired (on the loop it was set on).
    public func cancel() {
        switch self {
        case .scheduled(let callback): callback.cancel()
        case .custom(let cancel): cancel()
        case .none: break
        }
    }
}
