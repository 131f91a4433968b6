public import NIOCore
import NIOHTTP1

/// chat255 for browsers (`--web-address`): HTTP/1.1 serving the web chat page, and WebSocket
/// at `/ws` (`WebPageHandler`), each binary message one frame (`WebSocketFrameAdapter`); over
/// TLS when the server has a certificate (HTTPS and WSS). One more transport prefix in front of
/// the protocol handler: web clients and TCP clients are one chat.
public struct WebSocketTransport: ChatTransport {
    /// The certificate, when the web listener speaks HTTPS.
    public let tls: TLSContextStore?
    /// Which pages may open the WebSocket.
    let policy: OriginPolicy

    /// A web transport, over TLS with `tls`, open to the page's own origin and `allowedOrigins`.
    public init(tls: TLSContextStore?, allowedOrigins: [String]) {
        self.tls = tls
        self.policy = OriginPolicy(allowing: allowedOrigins)
    }

    /// `websocket`, or `websocket+tls`.
    public var name: String { self.tls == nil ? "websocket" : "websocket+tls" }

    /// Nothing the protocol handler writes reaches the peer before the upgrade.
    public var handshakes: Bool { true }

    /// TLS (if any), the HTTP server handlers, the page and upgrade handler, the frame adapter.
    public func configure(_ channel: any Channel) throws {
        if let tls = self.tls { try TLSTransport(store: tls).configure(channel) }
        let handlers = channel.pipeline.syncOperations
        try handlers.addHandler(HTTPResponseEncoder())
        // Bytes after the upgrade request go on to the frame decoder when this one leaves.
        try handlers.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes)))
        try handlers.addHandler(HTTPServerPipelineHandler())
        try handlers.addHandler(HTTPServerProtocolErrorHandler())
        try handlers.addHandler(WebPageHandler(policy: self.policy))
        try handlers.addHandler(WebSocketFrameAdapter())
    }
}
