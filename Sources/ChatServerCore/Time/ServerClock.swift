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
    ) -> any ServerTimer
    /// Runs `task` on `loop` once `deadline` has come; callable from any thread (the timer is
    /// set before this returns).
    func schedule(at deadline: NIODeadline, on loop: any EventLoop, _ task: @escaping @Sendable () -> Void)
}

/// A timer set on a `ServerClock`.
public protocol ServerTimer: Sendable {
    /// Stops the timer if it has not fired (on the loop it was set on).
    func cancel()
}

extension NIOScheduledCallback: ServerTimer {}
