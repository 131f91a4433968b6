public import ChatWire

/// Told what happens in the server, for metrics: the seam the metrics issue plugs into.
///
/// Called on the event loops, from the handlers' ordinary paths. Traffic is reported once per
/// read burst, never once per forwarded frame; the rest (joins, leaves, `Offline` answers,
/// pushes) as it happens. Implementations must be cheap and thread-safe (counters).
/// Every method has a no-op default, and the server's default observer is `NoObserver`.
public protocol ServerObserver: Sendable {
    /// A client came online.
    func joined(_ name: ChatName)
    /// An online client left (quit, closed, retired, cut as a slow consumer, shut down...).
    func left(_ name: ChatName, reason: CloseReason)
    /// A connection closed before it came online: a refused or bad Connect, malformed input,
    /// retirement of a connection that never registered.
    func closedBeforeJoining(reason: CloseReason)
    /// `count` messages were answered `Offline`.
    func answeredOffline(_ count: Int)
    /// The online list was pushed: `recipients` clients, `parts` parts each.
    func pushedList(recipients: Int, parts: Int)
    /// One read burst on one connection: `frames` complete frames in `bytes` bytes.
    func received(frames: Int, bytes: Int)
}

extension ServerObserver {
    /// Does nothing.
    public func joined(_ name: ChatName) {}
    /// Does nothing.
    public func left(_ name: ChatName, reason: CloseReason) {}
    /// Does nothing.
    public func closedBeforeJoining(reason: CloseReason) {}
    /// Does nothing.
    public func answeredOffline(_ count: Int) {}
    /// Does nothing.
    public func pushedList(recipients: Int, parts: Int) {}
    /// Does nothing.
    public func received(frames: Int, bytes: Int) {}
}

/// The default observer: observes nothing (and lets the handlers skip counting traffic).
public struct NoObserver: ServerObserver {
    /// An observer that does nothing.
    public init() {}
}
