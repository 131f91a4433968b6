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
    /// One read burst on one connection: its frames, bytes, direct messages forwarded and
    /// messages to `ALL`.
    func received(_ burst: ReadBurst)
    /// A connection opened (it counts until it closes, online or not).
    func connectionOpened()
    /// A connection closed.
    func connectionClosed()
    /// A frame was answered `Error` and dropped; the connection stays.
    func rejectedFrame()
    /// A client over its rate was paused (`ReadPacingHandler`).
    func throttled()
    /// A TLS handshake failed.
    func handshakeFailed()
    /// `bytes` bytes of online lists were written to one client.
    func wroteList(bytes: Int)
    /// Whether the observer wants the bytes read and written at each socket (`socketTraffic`):
    /// then every connection's pipeline counts them (`TrafficCountingHandler`).
    var countsSocketTraffic: Bool { get }
    /// Bytes read from and written to one connection's socket since its last report.
    func socketTraffic(received: Int, sent: Int)
    /// A cluster node published `count` messages of frames to other nodes.
    func publishedToNodes(_ count: Int)
    /// A cluster node received a message of frames from another node.
    func receivedFromNode()
    /// A round trip to the cluster's backbone (a lease refresh) took `duration`.
    func backboneRoundTrip(_ duration: Duration)
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
    public func received(_ burst: ReadBurst) {}
    /// Does nothing.
    public func connectionOpened() {}
    /// Does nothing.
    public func connectionClosed() {}
    /// Does nothing.
    public func rejectedFrame() {}
    /// Does nothing.
    public func throttled() {}
    /// Does nothing.
    public func handshakeFailed() {}
    /// Does nothing.
    public func wroteList(bytes: Int) {}
    /// No.
    public var countsSocketTraffic: Bool { false }
    /// Does nothing.
    public func socketTraffic(received: Int, sent: Int) {}
    /// Does nothing.
    public func publishedToNodes(_ count: Int) {}
    /// Does nothing.
    public func receivedFromNode() {}
    /// Does nothing.
    public func backboneRoundTrip(_ duration: Duration) {}
}

/// The default observer: observes nothing (and lets the handlers skip counting traffic).
public struct NoObserver: ServerObserver {
    /// An observer that does nothing.
    public init() {}
}
