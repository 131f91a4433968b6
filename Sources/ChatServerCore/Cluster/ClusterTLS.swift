import NIOCore
import NIOSSL
import NIOTLS
public import RESP

/// TLS to Redis (`rediss://`, `redis-server --tls-port`): the server's certificate is verified
/// against a CA (or the system's roots) and against the host connected to (its name, or for an
/// address, the certificate's IP addresses); a client certificate is shown when Redis asks for
/// one (`tls-auth-clients`). A failed verification fails the connection: never plain TCP.
public struct ClusterTLS: Sendable {
    /// The context every connection starts from.
    let context: NIOSSLContext

    /// Verification against `caFile` (PEM; `nil`: the system's roots), with the client
    /// certificate chain and key when given (PEM). The error names what could not be read.
    public init(caFile: String?, certificateFile: String?, keyFile: String?) throws {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        configuration.certificateVerification = .fullVerification
        if let caFile {
            configuration.trustRoots = .certificates(try Self.read(caFile) { try NIOSSLCertificate.fromPEMFile($0) })
        }
        if let certificateFile {
            configuration.certificateChain = try Self.read(certificateFile) { try NIOSSLCertificate.fromPEMFile($0) }
                .map { .certificate($0) }
        }
        if let keyFile {
            configuration.privateKey = .privateKey(
                try Self.read(keyFile) { try NIOSSLPrivateKey(file: $0, format: .pem) })
        }
        self.context = try NIOSSLContext(configuration: configuration)
    }

    /// The transport for `RESPClient`: the client handler in front of each connection to
    /// `host`. SNI and the name check take a host name; an address is checked against the
    /// certificate's IP addresses instead (NIOSSL does so when it is given no name).
    public var transport: RESPTransport {
        let context = self.context
        return { channel, host, ready in
            let isAddress = (try? SocketAddress(ipAddress: host, port: 0)) != nil
            try channel.pipeline.syncOperations.addHandlers([
                NIOSSLClientHandler(context: context, serverHostname: isAddress ? nil : host),
                HandshakeWatch(ready: ready),
            ])
        }
    }

    /// A TLS failure in words for a person; `nil` for an error that is not TLS's.
    static func describe(_ error: any Error) -> String? {
        let text = "\(error)"
        switch error {
        case is HandshakeWatch.ClosedDuringHandshake:
            return
                "the server closed the connection during the TLS handshake: it does not speak TLS on this port (a redis:// port?)"
        case is NIOSSLExtraError:
            return "Redis's certificate is not for this host or address (\(text))"
        case is NIOSSLError, is BoringSSLError:
            if text.contains("CERTIFICATE_REQUIRED") {
                return "Redis asks for a client certificate: give one with --cluster-tls-cert and --cluster-tls-key"
            }
            if text.contains("HANDSHAKE_FAILURE") || text.contains("UNKNOWN_CA") || text.contains("BAD_CERTIFICATE") {
                return "Redis refused the client certificate of --cluster-tls-cert (not from a CA it trusts?)"
            }
            if text.contains("CERTIFICATE_VERIFY_FAILED") {
                return
                    "Redis's certificate could not be verified (not from the CA of --cluster-tls-ca, expired, or not yet valid)"
            }
            if text.contains("WRONG_VERSION_NUMBER") || text.contains("PACKET_LENGTH_TOO_LONG") {
                return "the server does not speak TLS on this port (a redis:// port?)"
            }
            return text
        default:
            return nil
        }
    }

    /// `load(path)`, its error naming the file.
    private static func read<T>(_ path: String, _ load: (String) throws -> T) throws -> T {
        do {
            return try load(path)
        } catch {
            throw ClusterTLSError(path: path, reason: "\(error)")
        }
    }
}

/// A certificate or key file for TLS to Redis that cannot be used.
public struct ClusterTLSError: Error, CustomStringConvertible {
    /// The file.
    public let path: String
    /// What went wrong.
    public let reason: String

    /// In words for a person.
    public var description: String { "cannot read \(self.path): \(self.reason)" }
}

/// Completes a connection's `ready` promise when its TLS handshake does, or fails it with the
/// reason: an error in the handshake, or the server closing the connection first.
private final class HandshakeWatch: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    /// The server closed the connection before the handshake completed.
    struct ClosedDuringHandshake: Error {}

    private let ready: EventLoopPromise<Void>

    init(ready: EventLoopPromise<Void>) {
        self.ready = ready
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event {
            self.ready.succeed()
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.ready.fail(error)
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.ready.fail(ClosedDuringHandshake())  // after a success or a failure, nothing happens
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.ready.fail(ClosedDuringHandshake())  // a channel torn down before it was active
    }
}
