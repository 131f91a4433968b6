/// TLS for the chat listener (`--tls-cert`, `--tls-key`, `--tls-client-ca`, `--tls-port`):
/// docs/SECURITY.md.
public struct TLSServerSettings: Sendable, Equatable {
    /// The server's certificate chain (PEM), leaf first.
    public var certificateFile: String
    /// Its private key (PEM).
    public var keyFile: String
    /// With it, every TLS client must present a certificate signed by this CA (PEM), and its
    /// `Connect` id must be one of the certificate's names (common name or DNS names).
    public var clientCAFile: String?
    /// With it, TLS is served on this port and `--port` stays plain TCP; without it, the one
    /// listener speaks TLS only.
    public var port: Int?
    /// How long a closing connection waits for the peer's close_notify before it closes the
    /// socket anyway (NIOSSL's shutdown timeout). Nothing a user sees waits for it: a client
    /// is de-listed as its close starts.
    public var closeTimeout: Duration = .seconds(5)

    /// TLS with this certificate and key.
    public init(certificateFile: String, keyFile: String, clientCAFile: String? = nil, port: Int? = nil) {
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.clientCAFile = clientCAFile
        self.port = port
    }
}
