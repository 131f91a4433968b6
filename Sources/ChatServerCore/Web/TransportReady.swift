/// An inbound user event: the transport's set-up is over (a WebSocket upgrade completed), and
/// what the protocol handler writes from now on reaches the peer. Before it, a close does not
/// wait for its `Error` to be written (`ConnectionHandler.handshaking`).
struct TransportReady: Sendable {}
