public import NIOCore
import NIOSSL

/// chat255 over TLS: a TLS server handler in front of the connection handler, with the
/// context current when the connection opens (`TLSContextStore`).
public struct TLSTransport: ChatTransport {
    /// Where the context comes from.
    public let store: TLSContextStore

    /// TLS with `store`'s context.
    public init(store: TLSContextStore) {
        self.store = store
    }

    /// `tls`.
    public var name: String { "tls" }

    /// TLS opens with its handshake.
    public var handshakes: Bool { true }

    /// Adds the TLS server handler.
    public func configure(_ channel: any Channel) throws {
        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: self.store.current))
    }
}
