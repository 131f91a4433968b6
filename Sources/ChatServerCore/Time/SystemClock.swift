public import NIOCore

/// The time of the machine, as the event loops keep it: `NIODeadline.now()`, and NIO's own
/// scheduled callbacks (no closure or promise per timer).
public struct SystemClock: ServerClock {
    /// The machine's monotonic clock.
    public init() {}

    /// `NIODeadline.now()`.
    public var now: NIODeadline { .now() }

    /// A scheduled callback on `loop`.
    public func scheduleCallback(
        at deadline: NIODeadline, on loop: any EventLoop, handler: some NIOScheduledCallbackHandler & AnyObject
    ) -> ServerTimer {
        do {
            return .scheduled(try loop.assumeIsolated().scheduleCallback(at: deadline, handler: handler))
        } catch {
            // Only when the loop is shutting down, and with it the server: nothing to time.
            return .none
        }
    }
}

extension SystemClock {
    /// A scheduled task on `loop`.
    public func schedule(at deadline: NIODeadline, on loop: any EventLoop, _ task: @escaping @Sendable () -> Void) {
        loop.scheduleTask(deadline: deadline, task)
    }
}
