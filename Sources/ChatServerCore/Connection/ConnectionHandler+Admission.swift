import ChatWire
import NIOCore
import NIOSSL

/// Admission: the certificate, the password, presence; an answer that comes later.
extension ConnectionHandler {
    /// Checks the client certificate's names (with `--tls-client-ca`) and the password (with
    /// `--users`), then asks presence; an answer to come is waited for on this loop, frames held
    /// meanwhile.
    func admit(_ id: ChatName, password: [UInt8]?, context: ChannelHandlerContext) {
        let recipient = LocalRecipient(name: id, channel: context.channel)
        self.recipient = recipient
        if self.shared.clientCertificates, let refusal = self.certificateRefusal(id, context: context) {
            self.perform(self.machine.admissionAnswered(.refused(refusal)), context: context)
            return
        }
        guard let accounts = self.shared.accounts else {
            switch self.shared.presence.admit(recipient) {
            case .now(let admission): self.perform(self.machine.admissionAnswered(admission), context: context)
            case .later(let answer): self.awaitAdmission(answer, context: context)
            }
            return
        }
        let presence = self.shared.presence
        let loop = context.eventLoop
        let address = context.channel.remoteAddress?.ipAddress ?? "unknown"
        let answer = accounts.check(id, password: password, from: address, on: loop).flatMap {
            refusal -> EventLoopFuture<Admission> in
            if let refusal { return loop.makeSucceededFuture(.refused(refusal)) }
            return presence.admit(recipient).future(on: loop)
        }
        self.awaitAdmission(answer, context: context)
    }

    /// Why `id` may not connect with this connection's certificate, or `nil` when one of the
    /// certificate's names is `id`. A connection without TLS (a plain listener beside a TLS one)
    /// has no certificate: client certificates are required everywhere.
    func certificateRefusal(_ id: ChatName, context: ChannelHandlerContext) -> CloseReason.Refusal? {
        guard let tls = try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self),
            let certificate = tls.peerCertificate
        else { return .certificateRequired }
        return CertificateNames.of(certificate).contains(id.text) ? nil : .notYourCertificate(id)
    }

    /// Waits on this loop for an admission decided elsewhere (a password check, a cluster).
    func awaitAdmission(_ answer: EventLoopFuture<Admission>, context: ChannelHandlerContext) {
        answer.hop(to: context.eventLoop).assumeIsolated().whenComplete { result in
            let admission: Admission
            switch result {
            case .success(let answer): admission = answer
            case .failure(let error):
                // The reason is logged; the client learns only that it cannot get in now.
                self.logger.warning("admission failed to answer", metadata: self.metadata(["error": "\(error)"]))
                admission = .refused(.unavailable("the server cannot admit clients now"))
            }
            self.admissionAnswered(admission)
        }
    }

    /// Presence answered later: carry out the answer, then the frames held meanwhile.
    func admissionAnswered(_ admission: Admission) {
        let action = self.machine.admissionAnswered(admission)
        guard let context = self.context else {
            if case .release = action { self.release() }
            return
        }
        self.perform(action, context: context)
        guard var held = self.held?.bytes else {
            // The answer (`Connected`) goes out now, not with the next burst or list push.
            self.flushPending(context: context)
            return
        }
        self.held = nil
        self.updateReading(context: context)
        self.process(&held, context: context)
        self.flushPending(context: context)
    }

    /// Gives back an id presence admitted for a connection that closed meanwhile.
    func release() {
        if let recipient = self.recipient, self.shared.presence.remove(recipient) {
            self.shared.publisher.changed()
        }
    }
}
