import NIOCore
import NIOSSL
import NIOTLS

/// Checks, when the TLS handshake completes, that the server's certificate is for the name the
/// client asked for (`--tls-server-name`, or the host name), and passes the handshake on only
/// then. NIOSSL alone also accepts a certificate that names the address connected to, whatever
/// name was asked for: `--tls-server-name wrong.example` against a certificate for `localhost`
/// and `127.0.0.1` would connect. The session writes nothing before the handshake is passed on
/// (`ClientSessionHandler`), so a `Connect` and its password never reach a server that failed.
final class ServerNameCheck: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// The name the certificate must carry.
    let name: String

    /// A check for `name`.
    init(name: String) {
        self.name = name
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard case TLSUserEvent.handshakeCompleted = event else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        let certificate = try? context.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self).peerCertificate
        let names = certificate.map(CertificateHostNames.dnsNames(of:)) ?? []
        guard CertificateHostNames.matches(self.name, names) else {
            context.fireErrorCaught(ServerNameMismatch(expected: self.name, names: names))
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
