public import NIOCore

/// How a listener's connections carry chat255: the handlers a new connection needs in front of
/// the chat's connection handler (TLS, WebSocket framing...). The handler after them takes and
/// gives chat255 bytes (`ByteBuffer`), whatever the transport.
public protocol ChatTransport: Sendable {
    /// A short name for logs: `tcp`, `tls`, `websocket`.
    var name: String { get }
    /// Adds this transport's handlers to a new connection's pipeline, on its event loop, before
    /// the connection handler is added after them.
    func configure(_ channel: any Channel) throws
    /// Whether the connection opens with a handshake (TLS's) before anything written reaches
    /// the peer: until it completes, the connection handler closes without waiting to write.
    var handshakes: Bool { get }
}

extension ChatTransport {
    /// No handshake unless the transport says so.
    public var handshakes: Bool { false }
}
