public import NIOCore
public import NIOSSL

/// TLS for a client (`chatclient --tls`, `chatbench --tls`): the server's certificate is
/// verified against the system's roots or a given CA, and its name against the host (or
/// `serverName`); an IP address as host is checked against the certificate's IP addresses.
/// A client certificate and key may be presented (servers with `--tls-client-ca`). A failed
/// verification ends the connection with its reason: never a fallback to plain TCP.
public struct ClientTLS: Sendable {
    /// The CA (PEM) the server's certificate must chain to; `nil`: the system's roots.
    public var caFile: String?
    /// The client's certificate chain (PEM), for servers that ask for one.
    public var certificateFile: String?
    /// Its private key (PEM).
    public var keyFile: String?
    /// The name the server's certificate must carry; `nil`: the host connected to.
    public var serverName: String?

    /// Verification against the system's roots and the host's name, no client certificate.
    public init(
        caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil, serverName: String? = nil
    ) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.serverName = serverName
    }

    /// The context to connect with (built once per session or run); the error names the file.
    public func makeContext() throws(ClientError) -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        configuration.certificateVerification = .fullVerification
        do {
            if let caFile = self.caFile {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
            }
            if let certificateFile = self.certificateFile {
                configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificateFile).map {
                    .certificate($0)
                }
            }
            if let keyFile = self.keyFile {
                configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem))
            }
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw .cannotConnect("cannot set up TLS: \(error)")
        }
    }

    /// Adds the TLS client handler for a connection to `host` to `channel`'s pipeline, and the
    /// check that the certificate carries the name asked for (`ServerNameCheck`). The
    /// handshake is passed on (`TLSUserEvent.handshakeCompleted`) only once both succeeded.
    public func configure(_ channel: any Channel, context: NIOSSLContext, host: String) throws {
        // SNI and the name check take a host name; an IP address is checked against the
        // certificate's IP addresses instead (NIOSSL does so when no name is given).
        let name = self.serverName ?? (Self.isIPAddress(host) ? nil : host)
        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: name))
        if let name { try channel.pipeline.syncOperations.addHandler(ServerNameCheck(name: name)) }
    }

    /// A TLS failure in words for a person; `nil` for other errors.
    public static func describe(_ error: any Error) -> String? {
        if let error = error as? ServerNameMismatch { return error.description }
        if let error = error as? NIOSSLExtraError {
            let text = "\(error)"
            if text.lowercased().contains("hostname") {
                return "TLS: the server's certificate is not for this name or address"
            }
            return "TLS: \(text)"
        }
        guard let error = error as? NIOSSLError else { return nil }
        let text = "\(error)"
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            return
                "TLS: the server's certificate could not be verified (not signed by a trusted CA, expired, or not yet valid)"
        }
        if text.contains("WRONG_VERSION_NUMBER") || text.contains("PACKET_LENGTH_TOO_LONG") {
            return "TLS handshake failed: the server does not seem to speak TLS"
        }
        return "TLS handshake failed: \(text)"
    }

    /// Whether `host` is an IPv4 or IPv6 address (not a name).
    static func isIPAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }
}
