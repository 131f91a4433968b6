import ChatWire
import NIOCore

/// Admission: the `AdmissionChain`'s answer, now or later (frames held meanwhile).
extension ConnectionHandler {
    /// Asks the admission chain (certificate, password, presence, as the server's options
    /// have it) to admit `id`; an answer to come is waited for on this loop.
    func admit(_ id: ChatName, password: [UInt8]?, context: ChannelHandlerContext) {
        let recipient = LocalRecipient(name: id, channel: context.channel)
        self.recipient = recipient
        let request = AdmissionRequest(
            id: id, password: password, peer: context.channel.remoteAddress, identity: self.identity)
        switch self.shared.admission.admit(request, recipient: recipient, on: context.eventLoop) {
        case .now(let admission): self.perform(self.machine.admissionAnswered(admission), context: context)
        case .later(let answer): self.awaitAdmission(answer, context: context)
        }
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

    /// The answer came later: carry it out, then the frames held meanwhile, reading again.
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
        context.channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
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
