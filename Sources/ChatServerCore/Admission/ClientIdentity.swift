/// What a TLS client certificate proves about the peer: the names it vouches for (its subject's
/// common names and its DNS alternative names). `ClientCertificateHandler` hands it to the
/// protocol handler once the handshake completes; the `CertificateCheck` reads it.
struct ClientIdentity: Sendable, Equatable {
    /// The names, as text.
    let names: Set<String>
}
