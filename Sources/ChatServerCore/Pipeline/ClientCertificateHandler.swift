import NIOCore
import NIOSSL
import NIOTLS

/// With `--tls-client-ca`, right behind the TLS handler: once the handshake has completed it
/// reads the names of the client's certificate and hands them on as a `ClientIdentity` (an
/// inbound user event the protocol handler keeps for admission), then leaves the pipeline.
final class ClientCertificateHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard case TLSUserEvent.handshakeCompleted = event else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        // NIOSSL has verified the certificate against the CA by now.
        if let tls = try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self),
            let certificate = tls.peerCertificate
        {
            context.fireUserInboundEventTriggered(ClientIdentity(names: CertificateNames.of(certificate)))
        }
        context.fireUserInboundEventTriggered(event)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
