public import NIOCore
import NIOSSL

/// chat255 over TLS: a TLS server handler in front of the protocol handler, with the
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

    /// Adds the TLS server handler; with client certificates required (`--tls-client-ca`), the
    /// `ClientCertificateHandler` behind it, which hands their names on once the handshake completes.
    public func configure(_ channel: any Channel) throws {
        let handlers = channel.pipeline.syncOperations
        try handlers.addHandler(NIOSSLServerHandler(context: self.store.current))
        if self.store.settings.clientCAFile != nil { try handlers.addHandler(ClientCertificateHandler()) }
    }
}
